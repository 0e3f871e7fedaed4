"""Column definitions of the demo survey tables, with units and descriptions.

The names and types imitate DES DR2 (``DR2_MAIN``, ``DR2_TILE_INFO``) so that DES users'
SQL runs unchanged. Every column's unit and description is stored twice in the catalog:
as a DuckDB ``COMMENT ON COLUMN`` (the description) and as a row of the metadata table
``DESLAB_COLUMNS(TABLE_NAME, COLUMN_NAME, UNIT, DESCRIPTION)``.
"""

from __future__ import annotations

from dataclasses import dataclass

BANDS = ("g", "r", "i", "z", "Y")


@dataclass(frozen=True)
class Column:
    """One catalog column: SQL name, DuckDB type, unit ('' when dimensionless), description."""

    name: str
    sql_type: str
    unit: str
    description: str


def _per_band(name: str, sql_type: str, unit: str, description: str) -> list[Column]:
    return [
        Column(f"{name}_{b.upper()}", sql_type, unit, description.format(band=b)) for b in BANDS
    ]


DR2_MAIN: list[Column] = [
    Column("COADD_OBJECT_ID", "BIGINT", "", "Unique identifier of the coadd object"),
    Column("RA", "DOUBLE", "deg", "Right ascension (J2000) of the object"),
    Column("DEC", "DOUBLE", "deg", "Declination (J2000) of the object"),
    Column("HPIX_32", "BIGINT", "", "HEALPix index at nside 32 (NESTED ordering)"),
    Column("HPIX_4096", "BIGINT", "", "HEALPix index at nside 4096 (NESTED ordering)"),
    Column("TILENAME", "VARCHAR", "", "Name of the coadd tile the object was detected in"),
    *_per_band("MAG_AUTO", "REAL", "mag", "Kron-like elliptical aperture magnitude, {band} band"
               " (99 when the flux is not positive)"),
    *_per_band("MAGERR_AUTO", "REAL", "mag", "Uncertainty of MAG_AUTO in the {band} band"),
    *_per_band("FLUX_AUTO", "REAL", "count", "Flux in a Kron-like elliptical aperture,"
               " {band} band (zero point 30)"),
    *_per_band("FLUX_RADIUS", "REAL", "pix", "Half-light radius, {band} band"),
    *_per_band("SPREAD_MODEL", "REAL", "", "Star-galaxy separator (PSF vs. extended model),"
               " {band} band"),
    *_per_band("SPREADERR_MODEL", "REAL", "", "Uncertainty of SPREAD_MODEL, {band} band"),
    *_per_band("FLAGS", "SMALLINT", "", "SExtractor extraction flags, {band} band"
               " (1 neighbours, 2 blended, 4 saturated)"),
    Column("EXTENDED_CLASS_COADD", "SMALLINT", "", "Morphological class from SPREAD_MODEL_I:"
           " 0 star, 1 likely star, 2 likely galaxy, 3 galaxy, -9 no data"),
    Column("A_IMAGE", "REAL", "pix", "Semi-major axis of the object's light profile"),
    Column("B_IMAGE", "REAL", "pix", "Semi-minor axis of the object's light profile"),
    Column("THETA_J2000", "REAL", "deg", "Position angle of the major axis, east of north"),
    Column("EBV_SFD98", "REAL", "mag", "E(B-V) reddening at the object's position (SFD98-like"
           " smooth demo map)"),
]

DR2_TILE_INFO: list[Column] = [
    Column("TILENAME", "VARCHAR", "", "Tile name, 'DES' + RA in 0.1 deg (4 digits) + Dec as"
           " +-DDMM"),
    Column("ID", "INTEGER", "", "Tile number"),
    Column("RA_CENT", "DOUBLE", "deg", "Right ascension of the tile centre"),
    Column("DEC_CENT", "DOUBLE", "deg", "Declination of the tile centre"),
    *[Column(f"RAC{k}", "DOUBLE", "deg", f"Right ascension of corner {k} of the image"
             f" (1: pixel (1,1), 2: (NAXIS1,1), 3: (NAXIS1,NAXIS2), 4: (1,NAXIS2))")
      for k in range(1, 5)],
    *[Column(f"DECC{k}", "DOUBLE", "deg", f"Declination of corner {k} of the image")
      for k in range(1, 5)],
    Column("RACMIN", "DOUBLE", "deg", "Western RA edge of the image (> RACMAX when CROSSRA0)"),
    Column("RACMAX", "DOUBLE", "deg", "Eastern RA edge of the image"),
    Column("DECCMIN", "DOUBLE", "deg", "Southern Dec edge of the image"),
    Column("DECCMAX", "DOUBLE", "deg", "Northern Dec edge of the image"),
    Column("URAMIN", "DOUBLE", "deg", "Western RA edge of the tile's unique area"
           " (> URAMAX when CROSSRA0)"),
    Column("URAMAX", "DOUBLE", "deg", "Eastern RA edge of the tile's unique area"),
    Column("UDECMIN", "DOUBLE", "deg", "Southern Dec edge of the tile's unique area"),
    Column("UDECMAX", "DOUBLE", "deg", "Northern Dec edge of the tile's unique area"),
    Column("CROSSRA0", "VARCHAR", "", "'Y' when the tile straddles RA = 0, else 'N'"),
    Column("PIXELSCALE", "DOUBLE", "arcsec", "Pixel scale of the tile images"),
    Column("NAXIS1", "INTEGER", "pix", "Image width"),
    Column("NAXIS2", "INTEGER", "pix", "Image height"),
    *_per_band("FITS_IMAGE", "VARCHAR", "", "Image file of the {band} band, relative to the"
               " tile directory (DESLAB_TILES); NULL when the tile has no pixel data"),
]

DEMO_PLANTED_ANOMALIES: list[Column] = [
    Column("COADD_OBJECT_ID", "BIGINT", "", "Object whose colours were made anomalous"),
    Column("KIND", "VARCHAR", "", "Kind of anomaly: very_red, very_blue, ir_excess,"
           " emission_line"),
]

DESLAB_COLUMNS: list[Column] = [
    Column("TABLE_NAME", "VARCHAR", "", "Table name"),
    Column("COLUMN_NAME", "VARCHAR", "", "Column name"),
    Column("UNIT", "VARCHAR", "", "Unit of the column's values (astropy unit string; empty"
           " when dimensionless)"),
    Column("DESCRIPTION", "VARCHAR", "", "What the column holds"),
]

TABLES: dict[str, list[Column]] = {
    "DR2_MAIN": DR2_MAIN,
    "DR2_TILE_INFO": DR2_TILE_INFO,
    "DEMO_PLANTED_ANOMALIES": DEMO_PLANTED_ANOMALIES,
    "DESLAB_COLUMNS": DESLAB_COLUMNS,
}

TABLE_COMMENTS = {
    "DR2_MAIN": "Demo coadd object catalog (one row per object), DES DR2 names",
    "DR2_TILE_INFO": "Demo coadd tiles: centres, corners, unique areas and image files",
    "DEMO_PLANTED_ANOMALIES": "Objects given anomalous colours on purpose (demo survey only)",
    "DESLAB_COLUMNS": "Units and descriptions of every column of the catalog tables",
}


def create_statement(table: str) -> str:
    """``CREATE TABLE`` for one of :data:`TABLES`."""
    cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in TABLES[table])
    return f"CREATE TABLE {table} (\n  {cols}\n)"


def comment_statements() -> list[str]:
    """``COMMENT ON`` statements for every table and column."""
    out = []
    for table, cols in TABLES.items():
        out.append(f"COMMENT ON TABLE {table} IS {_quote(TABLE_COMMENTS[table])}")
        for c in cols:
            text = c.description + (f" [{c.unit}]" if c.unit else "")
            out.append(f"COMMENT ON COLUMN {table}.{c.name} IS {_quote(text)}")
    return out


def metadata_rows() -> list[tuple[str, str, str, str]]:
    """Rows of ``DESLAB_COLUMNS``."""
    return [(t, c.name, c.unit, c.description) for t, cols in TABLES.items() for c in cols]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

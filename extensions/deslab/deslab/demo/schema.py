"""Tables of the demo survey, with units and descriptions.

``DR2_MAIN``, ``DR2_MAIN_SAMPLE`` and ``DR2_TILE_INFO`` have DES DR2's columns
(:mod:`deslab.demo.dr2_columns`) so that DES users' SQL runs unchanged. Every column's unit
and description is stored twice in the catalog: as a DuckDB ``COMMENT ON COLUMN`` (the
description) and as a row of the metadata table
``DESLAB_COLUMNS(TABLE_NAME, COLUMN_NAME, UNIT, DESCRIPTION)``.
"""

from __future__ import annotations

from deslab.demo.dr2_columns import DR2_MAIN, DR2_TILE_INFO, Column

# DES serves DR2_MAIN_SAMPLE, a small subset of DR2_MAIN with the same columns, for trying
# queries quickly; here it is a view of every SAMPLE_EVERY-th object.
SAMPLE_EVERY = 100
SAMPLE_VIEW = (f"CREATE VIEW DR2_MAIN_SAMPLE AS SELECT * FROM DR2_MAIN "
               f"WHERE COADD_OBJECT_ID % {SAMPLE_EVERY} = 0")

DEMO_PLANTED_ANOMALIES: list[Column] = [
    Column("COADD_OBJECT_ID", "BIGINT", "", "Object whose colours were made anomalous"),
    Column("KIND", "VARCHAR", "", "Kind of anomaly: very_red, very_blue, ir_excess,"
           " emission_line"),
]

DEMO_OBJECT_TRUTH: list[Column] = [
    Column("COADD_OBJECT_ID", "BIGINT", "", "Object (as in DR2_MAIN)"),
    Column("IS_STAR", "BOOLEAN", "", "True for a generated star, false for a galaxy"),
    Column("SIZE", "REAL", "arcsec", "Intrinsic Gaussian sigma of the major axis (0 for"
           " stars)"),
    Column("AXIS_RATIO", "REAL", "", "Intrinsic minor/major axis ratio"),
]

DEMO_SURVEY: list[Column] = [
    Column("SEED", "BIGINT", "", "Random seed the survey was generated from"),
    Column("TILE_PIXELS", "INTEGER", "pix", "Side of the tile images"),
    Column("UPFRONT_TILES", "INTEGER", "", "Tiles (ID 1..N) whose images were written with"
           " the catalog; the others are generated on first use"),
    Column("COMPRESS", "BOOLEAN", "", "Images are RICE-compressed .fits.fz"),
    Column("BANDS", "VARCHAR", "", "Bands written up front"),
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
    "DEMO_OBJECT_TRUTH": DEMO_OBJECT_TRUTH,
    "DEMO_SURVEY": DEMO_SURVEY,
    "DESLAB_COLUMNS": DESLAB_COLUMNS,
}

# views: name -> (CREATE VIEW statement, columns)
VIEWS: dict[str, tuple[str, list[Column]]] = {"DR2_MAIN_SAMPLE": (SAMPLE_VIEW, DR2_MAIN)}

TABLE_COMMENTS = {
    "DR2_MAIN": "Demo coadd object catalog (one row per object), DES DR2 columns",
    "DR2_MAIN_SAMPLE": f"1/{SAMPLE_EVERY} of DR2_MAIN (every object whose COADD_OBJECT_ID is"
                       f" a multiple of {SAMPLE_EVERY}), for trying queries quickly",
    "DR2_TILE_INFO": "Demo coadd tiles: centres, corners, unique areas and image files",
    "DEMO_OBJECT_TRUTH": "What each generated object is (demo survey only; the images are"
                         " drawn from it)",
    "DEMO_SURVEY": "How the demo survey was generated (one row)",
    "DEMO_PLANTED_ANOMALIES": "Objects given anomalous colours on purpose (demo survey only)",
    "DESLAB_COLUMNS": "Units and descriptions of every column of the catalog tables",
}


def create_statement(table: str) -> str:
    """``CREATE TABLE`` for one of :data:`TABLES`."""
    cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in TABLES[table])
    return f"CREATE TABLE {table} (\n  {cols}\n)"


def comment_statements() -> list[str]:
    """``COMMENT ON`` statements for every table, view and column."""
    out = []
    for table, cols in _all_columns().items():
        kind = "VIEW" if table in VIEWS else "TABLE"
        out.append(f"COMMENT ON {kind} {table} IS {_quote(TABLE_COMMENTS[table])}")
        for c in cols if kind == "TABLE" else ():
            text = c.description + (f" [{c.unit}]" if c.unit else "")
            out.append(f"COMMENT ON COLUMN {table}.{c.name} IS {_quote(text)}")
    return out


def metadata_rows() -> list[tuple[str, str, str, str]]:
    """Rows of ``DESLAB_COLUMNS``."""
    return [(t, c.name, c.unit, c.description)
            for t, cols in _all_columns().items() for c in cols]


def _all_columns() -> dict[str, list[Column]]:
    return {**TABLES, **{name: cols for name, (_sql, cols) in VIEWS.items()}}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

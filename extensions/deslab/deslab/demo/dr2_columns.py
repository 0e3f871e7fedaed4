"""The published column set of DES DR2 ``DR2_MAIN`` and ``DR2_TILE_INFO``.

Names, types and units follow the DES DR2 schema (the release documentation at
des.ncsa.illinois.edu/releases/dr2, its copy in the LIneA and NOIRLab Data Lab DR2 tables, and
Abbott et al. 2021, ApJS 255, 20); descriptions are DESlab's wording of DES's. Each column
has the DuckDB type of the demo catalog and the Oracle type DES serves it with.
"""

from __future__ import annotations

from dataclasses import dataclass

BANDS = ("g", "r", "i", "z", "Y")
HPIX_NSIDES = (32, 64, 1024, 4096, 16384)

# DuckDB type -> the Oracle type of the column in DES's database
ORACLE_TYPES = {
    "BIGINT": "NUMBER(20)",
    "INTEGER": "NUMBER(10)",
    "SMALLINT": "NUMBER(5)",
    "DOUBLE": "BINARY_DOUBLE",
    "REAL": "BINARY_FLOAT",
    "VARCHAR": "VARCHAR2(200)",
    "VARCHAR(12)": "VARCHAR2(12)",
    "VARCHAR(1)": "VARCHAR2(1)",
    "BOOLEAN": "NUMBER(1)",
}


@dataclass(frozen=True)
class Column:
    """One catalog column: SQL name, DuckDB type, unit ('' when dimensionless), description."""

    name: str
    sql_type: str
    unit: str
    description: str

    @property
    def oracle_type(self) -> str:
        """The Oracle type DES serves the column with."""
        return ORACLE_TYPES.get(self.sql_type, self.sql_type)


def per_band(name: str, sql_type: str, unit: str, description: str, suffix: str = ""
             ) -> list[Column]:
    """``NAME_G .. NAME_Y`` (``NAME_G<suffix>`` ...), ``{band}`` in the description."""
    return [Column(f"{name}_{b.upper()}{suffix}", sql_type, unit, description.format(band=b))
            for b in BANDS]


DR2_MAIN: list[Column] = [
    Column("COADD_OBJECT_ID", "BIGINT", "", "Unique identifier of the coadd object"),
    Column("TILENAME", "VARCHAR", "", "Name of the coadd tile the object was detected in"),
    *[Column(f"HPIX_{n}", "BIGINT", "", f"HEALPix index at nside {n}, NESTED ordering"
             " (theta = 90 - DEC, phi = RA)") for n in HPIX_NSIDES],
    Column("RA", "DOUBLE", "deg", "Right ascension (J2000, ICRS), quantised for indexing;"
           " ALPHAWIN_J2000 has full precision"),
    Column("DEC", "DOUBLE", "deg", "Declination (J2000, ICRS), quantised for indexing;"
           " DELTAWIN_J2000 has full precision"),
    Column("ALPHAWIN_J2000", "DOUBLE", "deg", "Right ascension (J2000, ICRS) from windowed"
           " centroid measurements on the detection image, full precision"),
    Column("DELTAWIN_J2000", "DOUBLE", "deg", "Declination (J2000, ICRS) from windowed"
           " centroid measurements on the detection image, full precision"),
    Column("GALACTIC_L", "REAL", "deg", "Galactic longitude"),
    Column("GALACTIC_B", "REAL", "deg", "Galactic latitude"),
    Column("XWIN_IMAGE", "DOUBLE", "pix", "Windowed x centroid on the detection image"),
    Column("YWIN_IMAGE", "DOUBLE", "pix", "Windowed y centroid on the detection image"),
    Column("A_IMAGE", "REAL", "pix", "Major-axis size from the isophotal profile"),
    Column("ERRA_IMAGE", "REAL", "pix", "Uncertainty of A_IMAGE"),
    Column("B_IMAGE", "REAL", "pix", "Minor-axis size from the isophotal profile"),
    Column("ERRB_IMAGE", "REAL", "pix", "Uncertainty of B_IMAGE"),
    Column("THETA_J2000", "REAL", "deg", "Position angle of the major axis (J2000, east of"
           " north)"),
    Column("ERRTHETA_IMAGE", "REAL", "deg", "Uncertainty of the position angle"),
    Column("KRON_RADIUS", "REAL", "pix", "Kron radius measured on the detection image"),
    Column("EBV_SFD98", "DOUBLE", "mag", "E(B-V) reddening of Schlegel, Finkbeiner & Davis"
           " (1998) at the object's position"),
    *per_band("MAG_AUTO", "REAL", "mag", "Magnitude in a Kron-like elliptical aperture,"
              " {band} band (99 when not measured)"),
    *per_band("MAGERR_AUTO", "REAL", "mag", "Uncertainty of MAG_AUTO, {band} band"),
    *per_band("MAG_AUTO", "REAL", "mag", "MAG_AUTO corrected for Galactic extinction"
              " (SFD98 E(B-V) times the DES coefficient), {band} band", suffix="_DERED"),
    *per_band("FLUX_AUTO", "REAL", "adu", "Flux in a Kron-like elliptical aperture,"
              " {band} band (zero point 30)"),
    *per_band("FLUXERR_AUTO", "REAL", "adu", "Uncertainty of FLUX_AUTO, {band} band"),
    *per_band("WAVG_MAG_PSF", "REAL", "mag", "Weighted average of the PSF magnitudes of the"
              " single-epoch detections, {band} band (99 when none)"),
    *per_band("WAVG_MAGERR_PSF", "REAL", "mag", "Uncertainty of WAVG_MAG_PSF, {band} band"),
    *per_band("WAVG_MAG_PSF", "REAL", "mag", "WAVG_MAG_PSF corrected for Galactic"
              " extinction (SFD98), {band} band", suffix="_DERED"),
    *per_band("WAVG_FLUX_PSF", "REAL", "adu", "Weighted average of the PSF fluxes of the"
              " single-epoch detections, {band} band"),
    *per_band("WAVG_FLUXERR_PSF", "REAL", "adu", "Uncertainty of WAVG_FLUX_PSF, {band} band"),
    *per_band("SPREAD_MODEL", "REAL", "", "Star-galaxy classifier comparing the PSF and an"
              " exponential model convolved with the PSF on the coadd, {band} band (near 0"
              " for stars, larger for galaxies)"),
    *per_band("SPREADERR_MODEL", "REAL", "", "Uncertainty of SPREAD_MODEL, {band} band"),
    *per_band("WAVG_SPREAD_MODEL", "REAL", "", "Weighted average of SPREAD_MODEL over the"
              " single-epoch detections, {band} band (-99 when none)"),
    *per_band("WAVG_SPREADERR_MODEL", "REAL", "", "Uncertainty of WAVG_SPREAD_MODEL,"
              " {band} band"),
    *per_band("CLASS_STAR", "REAL", "", "SExtractor neural-network star classifier, {band}"
              " band (0 galaxy, 1 star)"),
    *per_band("FLAGS", "SMALLINT", "", "SExtractor extraction flags, {band} band (1"
              " neighbours, 2 blended, 4 saturated, ...; FLAGS < 4 for well-behaved objects)"),
    *per_band("IMAFLAGS_ISO", "INTEGER", "", "Flags of missing or masked pixels in the"
              " single-epoch images within the isophote, {band} band (0 when clean)"),
    *per_band("NEPOCHS", "INTEGER", "", "Number of single-epoch images the object is"
              " detected in, {band} band"),
    *per_band("NITER_MODEL", "INTEGER", "", "Iterations of the model-fitting photometry,"
              " {band} band"),
    *per_band("FLUX_RADIUS", "REAL", "pix", "Half-light radius from the elliptical growth"
              " curve, {band} band"),
    *per_band("KRON_RADIUS", "REAL", "pix", "Kron radius, {band} band"),
    *per_band("FWHM_IMAGE", "REAL", "pix", "Full width at half maximum of the profile,"
              " {band} band"),
    *per_band("ISOAREA_IMAGE", "INTEGER", "pix2", "Isophotal area above the detection"
              " threshold, {band} band"),
    *per_band("BACKGROUND", "REAL", "adu", "Background level at the object, {band} band"),
    *per_band("XWIN_IMAGE", "DOUBLE", "pix", "Windowed x centroid, {band} band image"),
    *per_band("YWIN_IMAGE", "DOUBLE", "pix", "Windowed y centroid, {band} band image"),
    *per_band("X2WIN_IMAGE", "DOUBLE", "pix2", "Windowed second moment in x, {band} band"),
    *per_band("ERRX2WIN_IMAGE", "DOUBLE", "pix2", "Uncertainty of X2WIN_IMAGE, {band} band"),
    *per_band("Y2WIN_IMAGE", "DOUBLE", "pix2", "Windowed second moment in y, {band} band"),
    *per_band("ERRY2WIN_IMAGE", "DOUBLE", "pix2", "Uncertainty of Y2WIN_IMAGE, {band} band"),
    *per_band("XYWIN_IMAGE", "DOUBLE", "pix2", "Windowed second moment in xy, {band} band"),
    *per_band("ERRXYWIN_IMAGE", "DOUBLE", "pix2", "Uncertainty of XYWIN_IMAGE, {band} band"),
    *per_band("AWIN_IMAGE", "REAL", "pix", "Major-axis size from windowed second moments,"
              " {band} band"),
    *per_band("ERRAWIN_IMAGE", "REAL", "pix", "Uncertainty of AWIN_IMAGE, {band} band"),
    *per_band("BWIN_IMAGE", "REAL", "pix", "Minor-axis size from windowed second moments,"
              " {band} band"),
    *per_band("ERRBWIN_IMAGE", "REAL", "pix", "Uncertainty of BWIN_IMAGE, {band} band"),
    *per_band("THETAWIN_IMAGE", "REAL", "deg", "Position angle from windowed second moments"
              " (counter-clockwise from the x axis), {band} band"),
    *per_band("ERRTHETAWIN_IMAGE", "REAL", "deg", "Uncertainty of THETAWIN_IMAGE, {band}"
              " band"),
    Column("EXTENDED_CLASS_COADD", "SMALLINT", "", "Morphological class from the coadd"
           " SPREAD_MODEL_I: 0 high-confidence star, 1 candidate star, 2 mostly galaxies,"
           " 3 high-confidence galaxy, -9 no data"),
    Column("EXTENDED_CLASS_WAVG", "SMALLINT", "", "Morphological class from"
           " WAVG_SPREAD_MODEL_I, same scale as EXTENDED_CLASS_COADD (-9 no data)"),
]

# DES's extinction coefficients A_b = R_b * E(B-V)_SFD98 (DES DR2, Abbott et al. 2021)
EXTINCTION_R = {"g": 3.186, "r": 2.140, "i": 1.569, "z": 1.196, "Y": 1.048}

TILE_FILE_COLUMNS = [f"FITS_IMAGE_{b.upper()}" for b in BANDS] + ["FITS_IMAGE_DET"]

DR2_TILE_INFO: list[Column] = [
    Column("TILENAME", "VARCHAR", "", "Tile name"),
    Column("ID", "INTEGER", "", "Tile number"),
    Column("RA_CENT", "DOUBLE", "deg", "Right ascension of the tile centre"),
    Column("DEC_CENT", "DOUBLE", "deg", "Declination of the tile centre"),
    Column("RA_SIZE", "DOUBLE", "deg", "Extent of the tile in right ascension (on the sky"
           " at the centre's declination divided by cos(DEC_CENT))"),
    Column("DEC_SIZE", "DOUBLE", "deg", "Extent of the tile in declination"),
    *[Column(f"RAC{k}", "DOUBLE", "deg", f"Right ascension of corner {k} of the image"
             " (1: pixel (1,1), 2: (NAXIS1,1), 3: (NAXIS1,NAXIS2), 4: (1,NAXIS2))")
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
    *per_band("FITS_IMAGE", "VARCHAR", "", "Coadd image file of the {band} band, relative"
              " to the tile directory (DESLAB_TILES)"),
    Column("FITS_IMAGE_DET", "VARCHAR", "", "Detection image file (weighted sum of the r, i"
           " and z coadds), relative to the tile directory"),
    Column("TIFF_COLOR_IMAGE", "VARCHAR", "", "Colour image of the tile (not produced by the"
           " demo survey: NULL)"),
    Column("FITS_DR2_MAIN", "VARCHAR", "", "Catalog file of the tile's DR2_MAIN rows (not"
           " produced by the demo survey: NULL)"),
    Column("FITS_DR2_MAGNITUDE", "VARCHAR", "", "Catalog file of the tile's aperture"
           " magnitudes (not produced by the demo survey: NULL)"),
    Column("FITS_DR2_FLUX", "VARCHAR", "", "Catalog file of the tile's aperture fluxes (not"
           " produced by the demo survey: NULL)"),
]

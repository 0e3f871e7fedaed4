"""The DES DR2 example queries (DESaccess's examples, as the DES documentation shows them) run
unchanged on the demo survey and return plausible rows; describe/find_tables show DES's
columns."""

from __future__ import annotations

import subprocess
import sys

import deslab
import numpy as np
import pytest

EXAMPLES = {
    "sample_five_rows": """--
-- Example Query --
-- This query selects 0.001% of the data and returns only five rows
SELECT
  RA, DEC, MAG_AUTO_G, TILENAME
FROM DR2_MAIN sample(0.001)
FETCH FIRST 5 ROWS ONLY
""",
    "region_first_1000": """--
-- Example Query --
-- This query selects the first 1000 rows from a RA/DEC region
SELECT ALPHAWIN_J2000 RAP,DELTAWIN_J2000 DECP, MAG_AUTO_G, TILENAME
FROM DR2_MAIN
WHERE
  RA BETWEEN 40.0 and 41.0 and
  DEC BETWEEN -41 and -40 and
  ROWNUM < 1001
""",
    "m2_stars": """--
-- Example Query --
-- This query selects stars around the center of glubular cluster M2
SELECT
  COADD_OBJECT_ID,RA,DEC,
  MAG_AUTO_G G,
  MAG_AUTO_R R,
  WAVG_MAG_PSF_G G_PSF,
  WAVG_MAG_PSF_R R_PSF
FROM DR2_MAIN
WHERE
  RA between 323.36-0.12 and 323.36+0.12 and
  DEC between -0.82-0.12 and -0.82+0.12 and
  WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005 and
  WAVG_SPREAD_MODEL_I > -1 and
  IMAFLAGS_ISO_G = 0 and
  IMAFLAGS_ISO_R = 0 and
  FLAGS_G < 4 and
  FLAGS_R < 4
""",
    "healpix_stars": """--
-- Example Query --
-- This query creates a Healpix map of number of stars
-- and their mean magnitude on a resolution of NSIDE = 1024
-- using NEST Schema and a sample of our full DR2 database table
SELECT
count(main.MAG_AUTO_I) COUNT,
main.HPIX_1024
FROM DR2_MAIN_SAMPLE main
WHERE
  main.WAVG_SPREAD_MODEL_I + 3.0*main.WAVG_SPREADERR_MODEL_I < 0.005 and
  main.WAVG_SPREAD_MODEL_I > -1 and
  main.IMAFLAGS_ISO_I = 0 and
  main.MAG_AUTO_I < 21
GROUP BY main.HPIX_1024
""",
    "healpix_galaxies": """--
-- Example Query --
-- This query creates a Healpix map of number of high confidence galaxies
-- and their mean magnitude on a resolution of NSIDE = 1024
-- using NEST Schema and a sample of our full DR2 database table
SELECT count(dr2.MAG_AUTO_I) COUNT,avg(dr2.MAG_AUTO_I) AVERAGE,dr2.HPIX_1024
FROM DR2_MAIN_SAMPLE dr2
WHERE
  dr2.MAG_AUTO_I < 23 AND
  dr2.EXTENDED_CLASS_COADD=3
GROUP BY dr2.HPIX_1024
""",
    "bright_galaxies": """--
-- Example Query --
-- This query selects  a sample of bright galaxies
SELECT dr2.RA RA, dr2.DEC DEC, dr2.COADD_OBJECT_ID ID
FROM DR2_MAIN sample(0.01) dr2
WHERE
  dr2.MAG_AUTO_G < 18 and
  dr2.WAVG_SPREAD_MODEL_I + 3.0*dr2.WAVG_SPREADERR_MODEL_I > 0.005 and
  dr2.WAVG_SPREAD_MODEL_I + 1.0*dr2.WAVG_SPREADERR_MODEL_I > 0.003 and
  dr2.WAVG_SPREAD_MODEL_I - 1.0*dr2.WAVG_SPREADERR_MODEL_I > 0.001 and
  dr2.WAVG_SPREAD_MODEL_I > -1 and
  dr2.IMAFLAGS_ISO_G = 0 and
  dr2.IMAFLAGS_ISO_R = 0 and
  dr2.IMAFLAGS_ISO_I = 0 and
  dr2.FLAGS_G < 4 and
  dr2.FLAGS_R < 4 and
  dr2.FLAGS_I < 4 and
  dr2.NEPOCHS_G > 0 and
  dr2.NEPOCHS_R > 0 and
  dr2.NEPOCHS_I > 0
""",
}


@pytest.fixture
def catalog(demo_env):
    import deslab.catalog

    deslab.catalog.reset()
    yield
    deslab.catalog.reset()


def _is_star(ids) -> np.ndarray:
    ids = [int(i) for i in ids]
    truth = deslab.query(
        "SELECT COADD_OBJECT_ID, IS_STAR FROM DEMO_OBJECT_TRUTH WHERE COADD_OBJECT_ID IN "
        "(" + ", ".join(str(i) for i in ids) + ")", limit=None)
    by_id = dict(zip(truth["COADD_OBJECT_ID"], truth["IS_STAR"], strict=True))
    return np.array([bool(by_id[i]) for i in ids])


def test_first_examples_run_unchanged(catalog):
    t = deslab.query(EXAMPLES["sample_five_rows"])
    assert t.colnames == ["RA", "DEC", "MAG_AUTO_G", "TILENAME"] and len(t) <= 5
    t = deslab.query(EXAMPLES["region_first_1000"])
    assert t.colnames == ["RAP", "DECP", "MAG_AUTO_G", "TILENAME"] and len(t) == 1000
    assert (np.asarray(t["RAP"]) > 39.99).all() and (np.asarray(t["RAP"]) < 41.01).all()
    assert (np.asarray(t["DECP"]) > -41.01).all() and (np.asarray(t["DECP"]) < -39.99).all()
    assert 15 < np.median(t["MAG_AUTO_G"]) < 26


def test_m2_star_selection_returns_the_stars(catalog):
    t = deslab.query(EXAMPLES["m2_stars"], limit=None)
    assert t.colnames == ["COADD_OBJECT_ID", "RA", "DEC", "G", "R", "G_PSF", "R_PSF"]
    assert len(t) > 100
    stars = _is_star(t["COADD_OBJECT_ID"])
    assert stars.mean() > 0.95
    bright = np.asarray(t["G"]) < 21  # PSF and Kron magnitudes agree for point sources
    assert np.median(np.abs(np.asarray(t["G"])[bright] - np.asarray(t["G_PSF"])[bright])) < 0.02


def test_healpix_maps_of_the_sample(catalog):
    stars = deslab.query(EXAMPLES["healpix_stars"], limit=None)
    assert stars.colnames == ["COUNT", "HPIX_1024"] and len(stars) > 10
    direct = deslab.query(
        "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE MOD(COADD_OBJECT_ID, 100) = 0 AND "
        "WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005 AND "
        "WAVG_SPREAD_MODEL_I > -1 AND IMAFLAGS_ISO_I = 0 AND MAG_AUTO_I < 21")["N"][0]
    assert int(np.sum(stars["COUNT"])) == int(direct) > 0
    gals = deslab.query(EXAMPLES["healpix_galaxies"], limit=None)
    assert gals.colnames == ["COUNT", "AVERAGE", "HPIX_1024"] and len(gals) > 10
    assert (np.asarray(gals["AVERAGE"]) < 23).all() and (np.asarray(gals["AVERAGE"]) > 15).all()


def test_bright_galaxy_selection_returns_galaxies(catalog):
    t = deslab.query(EXAMPLES["bright_galaxies"], limit=None)
    assert t.colnames == ["RA", "DEC", "ID"]  # a 0.01 % sample: a few rows at most
    sql = EXAMPLES["bright_galaxies"].replace("sample(0.01) ", "").replace("< 18", "< 20")
    full = deslab.query(sql, limit=None)
    assert len(full) > 50
    assert (~_is_star(full["ID"])).mean() > 0.95


def test_describe_shows_des_columns_units_and_descriptions(catalog):
    t = deslab.describe_table("DR2_MAIN")
    assert len(t) == 215
    rows = {r["NAME"]: r for r in t}
    for name in ("ALPHAWIN_J2000", "HPIX_16384", "WAVG_SPREAD_MODEL_I", "IMAFLAGS_ISO_G",
                 "NEPOCHS_Z", "MAG_AUTO_G_DERED", "WAVG_MAG_PSF_Y_DERED", "EXTENDED_CLASS_WAVG",
                 "CLASS_STAR_R", "GALACTIC_B", "FLUXERR_AUTO_I"):
        assert name in rows and rows[name]["DESCRIPTION"], name
    assert rows["RA"]["UNIT"] == "deg" and rows["MAG_AUTO_G_DERED"]["UNIT"] == "mag"
    assert "NESTED" in rows["HPIX_1024"]["DESCRIPTION"]
    assert len(deslab.describe_table("DR2_MAIN_SAMPLE")) == 215
    info = {r["NAME"] for r in deslab.describe_table("DR2_TILE_INFO")}
    assert {"FITS_IMAGE_G", "FITS_IMAGE_DET", "RA_SIZE", "TIFF_COLOR_IMAGE"} <= info

    found = deslab.find_tables(column="WAVG_SPREAD%")
    assert set(found["TABLE_NAME"]) == {"DR2_MAIN", "DR2_MAIN_SAMPLE"}
    assert "WAVG_SPREADERR_MODEL_I" in found["COLUMNS"][0].split()
    assert list(deslab.find_tables_with_column("TILENAME")["TABLE_NAME"]) == [
        "DR2_MAIN", "DR2_MAIN_SAMPLE", "DR2_TILE_INFO"]

    out = subprocess.run([sys.executable, "-m", "deslab.cli", "describe",
                          "--find-tables-with-column", "IMAFLAGS"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "DR2_MAIN_SAMPLE" in out.stdout, out.stderr
    out = subprocess.run([sys.executable, "-m", "deslab.cli", "describe", "DR2_MAIN"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    line = next(s for s in out.stdout.splitlines()
                if s.strip().startswith("WAVG_MAG_PSF_I_DERED"))
    assert "mag" in line and "extinction" in line

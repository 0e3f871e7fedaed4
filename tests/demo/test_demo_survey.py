"""The demo survey: schema, realism, the RA = 0 tile, sources at catalog positions, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from deslab.demo import generate
from deslab.demo.schema import DR2_MAIN, DR2_TILE_INFO

BANDS = "grizY"
VENV_BIN = Path(sys.executable).parent


def venv_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}


def connect(survey: Path) -> duckdb.DuckDBPyConnection:
    """Open a private copy of the catalog read-only: in a whole-suite run the deslab catalog
    backend may hold the original open with another DuckDB configuration."""
    copy = survey.parent / f"{survey.name}-copy.duckdb"
    if not copy.exists():
        shutil.copyfile(survey / "catalog.duckdb", copy)
    return duckdb.connect(str(copy), read_only=True)


def image(survey: Path, path: str) -> tuple[np.ndarray, WCS]:
    with fits.open(survey / "tiles" / path) as hdul:
        hdu = hdul["SCI"]
        return np.asarray(hdu.data), WCS(hdu.header)


def test_tables_follow_des_dr2_names_and_types(demo_survey):
    con = connect(demo_survey)
    for table, spec in (("DR2_MAIN", DR2_MAIN), ("DR2_TILE_INFO", DR2_TILE_INFO)):
        got = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", [table]
        ).fetchall()
        assert [g[0] for g in got] == [c.name for c in spec]
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'DR2_MAIN'").fetchall())
    assert types["COADD_OBJECT_ID"] == "BIGINT"
    assert types["RA"] == types["DEC"] == "DOUBLE"
    assert types["MAG_AUTO_G"] == "FLOAT" and types["FLAGS_I"] == "SMALLINT"
    assert len(types) >= 40
    n, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT COADD_OBJECT_ID) FROM DR2_MAIN").fetchone()
    assert n == distinct == 100_000
    # every object's TILENAME is a tile of DR2_TILE_INFO, and lies in its unique area
    outside = con.execute("""
        SELECT COUNT(*) FROM DR2_MAIN m JOIN DR2_TILE_INFO t USING (TILENAME)
        WHERE m.DEC NOT BETWEEN t.UDECMIN AND t.UDECMAX
           OR (t.CROSSRA0 = 'N' AND m.RA NOT BETWEEN t.URAMIN AND t.URAMAX)
           OR (t.CROSSRA0 = 'Y' AND m.RA < t.URAMIN AND m.RA > t.URAMAX)""").fetchone()[0]
    assert outside == 0
    names = [r[0] for r in con.execute("SELECT TILENAME FROM DR2_TILE_INFO").fetchall()]
    assert all(len(s) == 12 and s[:3] == "DES" and s[7] in "+-" for s in names)


def test_units_and_descriptions_are_in_the_database(demo_survey):
    con = connect(demo_survey)
    meta = {(t, c): (u, d) for t, c, u, d in con.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, UNIT, DESCRIPTION FROM DESLAB_COLUMNS").fetchall()}
    for c in DR2_MAIN:
        assert ("DR2_MAIN", c.name) in meta and meta["DR2_MAIN", c.name][1]
    assert meta["DR2_MAIN", "RA"][0] == "deg"
    assert meta["DR2_MAIN", "MAG_AUTO_R"][0] == "mag"
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'DR2_MAIN' "
        "AND column_name = 'MAGERR_AUTO_I'").fetchone()[0]
    assert "MAG_AUTO" in comment and "[mag]" in comment


def test_catalog_is_a_plausible_mix_of_stars_and_galaxies(demo_survey):
    con = connect(demo_survey)
    classes = dict(con.execute(
        "SELECT EXTENDED_CLASS_COADD, COUNT(*) FROM DR2_MAIN GROUP BY 1").fetchall())
    stars = classes.get(0, 0) + classes.get(1, 0)
    assert 0.1 < stars / 100_000 < 0.5 and classes.get(3, 0) > 0.2 * 100_000
    # bright stars are point-like, galaxies extended
    sm_star, sm_gal = con.execute("""
        SELECT median(SPREAD_MODEL_I) FILTER (WHERE EXTENDED_CLASS_COADD = 0),
               median(SPREAD_MODEL_I) FILTER (WHERE EXTENDED_CLASS_COADD = 3)
        FROM DR2_MAIN WHERE MAG_AUTO_I < 21""").fetchone()
    assert abs(sm_star) < 0.002 < sm_gal
    # errors grow toward the faint end; colours stay in a plausible range for most objects
    err_bright, err_faint = con.execute("""
        SELECT median(MAGERR_AUTO_R) FILTER (WHERE MAG_AUTO_R BETWEEN 19 AND 20),
               median(MAGERR_AUTO_R) FILTER (WHERE MAG_AUTO_R BETWEEN 23 AND 24)
        FROM DR2_MAIN""").fetchone()
    assert err_bright < 0.02 < err_faint < 0.3
    frac = con.execute("""SELECT AVG(CASE WHEN MAG_AUTO_G - MAG_AUTO_R BETWEEN -0.5 AND 2.2
        THEN 1 ELSE 0 END) FROM DR2_MAIN WHERE MAG_AUTO_R < 22""").fetchone()[0]
    assert frac > 0.97
    # HEALPix columns are NESTED indices of the position
    import astropy.units as u
    from astropy_healpix import HEALPix
    ra, dec, h32, h4096 = np.array(con.execute(
        "SELECT RA, DEC, HPIX_32, HPIX_4096 FROM DR2_MAIN LIMIT 500").fetchall()).T
    assert np.array_equal(HEALPix(32, "nested").lonlat_to_healpix(ra * u.deg, dec * u.deg), h32)
    assert np.array_equal(
        HEALPix(4096, "nested").lonlat_to_healpix(ra * u.deg, dec * u.deg), h4096)


def test_planted_anomalies_are_bright_colour_outliers_on_imaged_tiles(demo_survey):
    con = connect(demo_survey)
    rows = con.execute("""
        SELECT p.KIND, m.MAG_AUTO_G - m.MAG_AUTO_R, m.MAG_AUTO_I - m.MAG_AUTO_Z, t.FITS_IMAGE_I
        FROM DEMO_PLANTED_ANOMALIES p JOIN DR2_MAIN m USING (COADD_OBJECT_ID)
        JOIN DR2_TILE_INFO t USING (TILENAME)""").fetchall()
    assert len(rows) == 24
    assert {r[0] for r in rows} == {"very_red", "very_blue", "ir_excess", "emission_line"}
    assert all(r[3] is not None for r in rows)
    assert all(r[1] > 2.5 for r in rows if r[0] == "very_red")
    assert all(r[2] > 1.5 for r in rows if r[0] == "ir_excess")


def test_imaged_tiles_straddle_ra_zero(demo_survey):
    con = connect(demo_survey)
    tiles = con.execute("""SELECT TILENAME, RACMIN, RACMAX, RAC1, RAC2, FITS_IMAGE_G
        FROM DR2_TILE_INFO WHERE CROSSRA0 = 'Y'
        AND ID <= (SELECT UPFRONT_TILES FROM DEMO_SURVEY)
        ORDER BY ID""").fetchall()
    assert tiles and tiles[0][0] == "DES0000+0000"
    name, racmin, racmax, rac1, rac2, path = tiles[0]
    assert racmin > 359.9 and racmax < 0.1 and rac1 < 0.1 and rac2 > 359.9
    assert (demo_survey / "tiles" / path).name == f"{name}_g.fits.fz"
    east, west = con.execute("""SELECT COUNT(*) FILTER (WHERE RA < 1),
        COUNT(*) FILTER (WHERE RA > 359) FROM DR2_MAIN WHERE TILENAME = ?""", [name]).fetchone()
    assert east > 50 and west > 50
    data, wcs = image(demo_survey, path)
    assert data.shape == (1500, 1500)
    assert wcs.wcs.ctype[0] == "RA---TAN"
    assert abs(wcs.proj_plane_pixel_scales()[0].to_value("arcsec") - 0.263) < 1e-9


def isolated_bright(con, tilename: str, n: int = 6) -> list[tuple]:
    """Bright objects with no other object brighter than 2 mag fainter within 8 arcsec."""
    return con.execute("""
        SELECT a.COADD_OBJECT_ID, a.RA, a.DEC FROM DR2_MAIN a
        WHERE a.TILENAME = ? AND a.MAG_AUTO_G < 21 AND a.MAG_AUTO_Y < 20.5
          AND a.EXTENDED_CLASS_COADD <= 1
          AND NOT EXISTS (SELECT 1 FROM DR2_MAIN b WHERE b.COADD_OBJECT_ID <> a.COADD_OBJECT_ID
              AND abs(b.DEC - a.DEC) < 8 / 3600.0
              AND abs(((b.RA - a.RA + 540) % 360) - 180) < 8 / 3600.0
              AND b.MAG_AUTO_R < a.MAG_AUTO_R + 2)
        ORDER BY a.COADD_OBJECT_ID LIMIT ?""", [tilename, n]).fetchall()


def test_catalog_objects_are_drawn_at_their_positions_in_every_band(demo_survey):
    con = connect(demo_survey)
    tiles = con.execute(
        "SELECT TILENAME, " + ", ".join(f"FITS_IMAGE_{b.upper()}" for b in BANDS)
        + " FROM DR2_TILE_INFO WHERE ID <= (SELECT UPFRONT_TILES FROM DEMO_SURVEY)").fetchall()
    assert len(tiles) == 6
    for name, *paths in tiles:
        objects = isolated_bright(con, name)
        assert len(objects) >= 3, name
        for path in paths:
            data, wcs = image(demo_survey, path)
            sky = data[::7, ::7]
            noise = 1.4826 * np.median(np.abs(sky - np.median(sky)))
            for _, ra, dec in objects:
                x, y = wcs.all_world2pix(ra, dec, 0)
                xi, yi = int(round(float(x))), int(round(float(y)))
                if not (6 <= xi < 1494 and 6 <= yi < 1494):
                    continue
                box = data[yi - 5:yi + 6, xi - 5:xi + 6]
                py, px = np.unravel_index(np.argmax(box), box.shape)
                assert abs(px - 5) <= 1 and abs(py - 5) <= 1, (name, path, ra, dec)
                assert box.max() > 10 * noise


def test_same_seed_same_survey_and_other_seed_differs(tmp_path):
    def snapshot(out):
        con = connect(out)
        main = con.sql("SELECT * FROM DR2_MAIN ORDER BY COADD_OBJECT_ID").to_arrow_table()
        info = con.sql("SELECT * FROM DR2_TILE_INFO ORDER BY ID").to_arrow_table()
        pix = {p.name: image(out, str(p.relative_to(out / "tiles")))[0]
               for p in sorted((out / "tiles").glob("*/*.fits.fz"))}
        return main, info, pix

    generate(tmp_path / "a", rows=3000, tiles=1, seed=7)
    generate(tmp_path / "b", rows=3000, tiles=1, seed=7)
    generate(tmp_path / "c", rows=3000, tiles=1, seed=8, compress=False)
    a, b, c = snapshot(tmp_path / "a"), snapshot(tmp_path / "b"), snapshot(tmp_path / "c")
    assert a[0].equals(b[0]) and a[1].equals(b[1])
    assert a[2].keys() == b[2].keys() and len(a[2]) == 6  # grizY and the detection image
    for key in a[2]:
        assert np.array_equal(a[2][key], b[2][key])
    assert not a[0].equals(c[0])
    assert sorted(p.name for p in (tmp_path / "c" / "tiles").glob("*/*")) == sorted(
        k.replace(".fits.fz", ".fits") for k in a[2])
    assert not list(tmp_path.glob("*/.demo-survey.tmp"))


def test_cli_writes_survey_and_refuses_bad_sizes(tmp_path):
    deslab = str(VENV_BIN / "deslab")
    out = tmp_path / "survey"
    done = subprocess.run([deslab, "demo-data", "--out", str(out), "--rows", "2000",
                           "--tiles", "1", "--plain-fits"],
                          capture_output=True, text=True, env=venv_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "DESLAB_CATALOG=duckdb:///" in done.stdout
    assert connect(out).execute("SELECT COUNT(*) FROM DR2_MAIN").fetchone()[0] == 2000
    assert len(list((out / "tiles").glob("*/*.fits"))) == 6  # grizY and the detection image
    bad = subprocess.run([deslab, "demo-data", "--out", str(tmp_path / "bad"), "--rows", "0"],
                         capture_output=True, text=True, env=venv_env(), timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "rows must be between" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad" / "catalog.duckdb").exists()


@pytest.mark.slow
def test_many_rows_are_generated_in_chunks(tmp_path, monkeypatch):
    from deslab.demo import survey

    monkeypatch.setattr(survey, "CHUNK_ROWS", 150_000)  # several chunks, as at 10 million
    generate(tmp_path, rows=400_000, tiles=1, bands="g")
    n, distinct, tiles = connect(tmp_path).execute(
        "SELECT COUNT(*), COUNT(DISTINCT COADD_OBJECT_ID), COUNT(DISTINCT TILENAME) "
        "FROM DR2_MAIN").fetchone()
    assert n == distinct == 400_000 and tiles == 1000  # 982 in rings, 18 on two fields
    assert [p.name for p in (tmp_path / "tiles").glob("*/*")] == ["DES0000+0000_g.fits.fz"]

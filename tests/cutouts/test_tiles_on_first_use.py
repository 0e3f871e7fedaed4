"""Every tile of the demo survey has pixels: tiles not written up front are drawn on first use,
identically, once, and a cutout around any catalog object shows it at the centre."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import deslab
import duckdb
import numpy as np
from astropy.io import fits
from deslab.demo import generate

DRAW = """
import sys
from deslab.cutouts.tiles import ensure_images, tile_files
name = sys.argv[1]
files = tile_files(name)
ensure_images({(name, b): p for b, p in files.items() if b in "gi"}, workers=1)
print(files["g"])
"""


def _peak_offset(path: Path) -> float:
    """Distance (pixels) of the brightest pixel near the centre from the stamp centre."""
    data = fits.getdata(path)
    ny, nx = data.shape
    cy, cx = (ny - 1) / 2, (nx - 1) / 2
    box = data[int(cy) - 6:int(cy) + 8, int(cx) - 6:int(cx) + 8]
    y, x = np.unravel_index(np.nanargmax(box), box.shape)  # NaN: padding past the edge
    return float(np.hypot(y + int(cy) - 6 - cy, x + int(cx) - 6 - cx))


def test_cutouts_around_the_brightest_and_random_objects_show_them(survey, catalog, tmp_path):
    upfront = catalog.execute("SELECT UPFRONT_TILES FROM DEMO_SURVEY").fetchone()[0]
    n_tiles = catalog.execute("SELECT COUNT(*) FROM DR2_TILE_INFO").fetchone()[0]
    assert upfront == 6 and n_tiles == 250  # most tiles are drawn on first use
    # the 15 brightest objects on tiles not written up front that have no brighter
    # neighbour within 5" (in the core of the M2 cluster some have)
    brightest = catalog.execute("""
        SELECT m.COADD_OBJECT_ID, m.RA, m.DEC FROM DR2_MAIN m JOIN DR2_TILE_INFO t
        USING (TILENAME) WHERE t.ID > ? AND m.FLAGS_I < 4
          AND NOT EXISTS (SELECT 1 FROM DR2_MAIN b WHERE b.MAG_AUTO_I < m.MAG_AUTO_I
              AND abs(b.DEC - m.DEC) < 5 / 3600.0
              AND abs(((b.RA - m.RA + 540) % 360) - 180) < 5 / 3600.0)
        ORDER BY m.MAG_AUTO_I LIMIT 15""", [upfront]).fetchall()
    sample = catalog.execute("""
        SELECT COADD_OBJECT_ID, RA, DEC FROM DR2_MAIN m
        WHERE MAG_AUTO_I < 20 AND EXTENDED_CLASS_COADD <= 1 AND FLAGS_I < 4
          AND NOT EXISTS (SELECT 1 FROM DR2_MAIN b WHERE b.MAG_AUTO_I < m.MAG_AUTO_I
              AND abs(b.DEC - m.DEC) < 5 / 3600.0
              AND abs(((b.RA - m.RA + 540) % 360) - 180) < 5 / 3600.0)
        ORDER BY hash(COADD_OBJECT_ID) LIMIT 10""").fetchall()
    objects = brightest + sample
    s = deslab.cutouts([(ra, dec) for _, ra, dec in objects], xsize=0.3, ysize=0.3,
                       bands="i", rgb=False, edge="pad", output_dir=tmp_path)
    assert list(s["STATUS"]) == ["ok"] * len(objects), list(s["MESSAGE"])
    assert len(set(s["TILENAME"])) >= 15
    for files in s["FILES"]:
        assert _peak_offset(tmp_path / files.split()[0]) <= 1.5


def test_a_tile_drawn_on_first_use_equals_one_written_up_front(tmp_path, monkeypatch):
    # 12 000 rows: 12 tiles in rings (+ 18 on the fields) whether 1 or 3 are written now
    generate(tmp_path / "full", rows=12_000, tiles=3, seed=11)
    generate(tmp_path / "lazy", rows=12_000, tiles=1, seed=11)
    full = duckdb.connect(str(tmp_path / "full" / "catalog.duckdb"), read_only=True)
    lazy = duckdb.connect(str(tmp_path / "lazy" / "catalog.duckdb"), read_only=True)
    for table in ("DR2_MAIN", "DEMO_OBJECT_TRUTH"):
        sql = f"SELECT * FROM {table} ORDER BY COADD_OBJECT_ID"
        assert full.sql(sql).to_arrow_table().equals(lazy.sql(sql).to_arrow_table())
    name = full.execute("SELECT TILENAME FROM DR2_TILE_INFO WHERE ID = 3").fetchone()[0]
    full.close()
    lazy.close()
    assert not (tmp_path / "lazy" / "tiles" / name).exists()

    # two processes ask for the same tile at once: both get it, it is drawn once, and it is
    # byte for byte the file an up-front build wrote
    env = {**os.environ, "DESLAB_CATALOG": f"duckdb:///{tmp_path / 'lazy' / 'catalog.duckdb'}",
           "DESLAB_TILES": str(tmp_path / "lazy" / "tiles")}
    procs = [subprocess.Popen([sys.executable, "-c", DRAW, name], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert {o[0].strip() for o in outs} == {str(tmp_path / "lazy" / "tiles" / name /
                                                f"{name}_g.fits.fz")}
    for band in "gi":
        drawn = tmp_path / "lazy" / "tiles" / name / f"{name}_{band}.fits.fz"
        written = tmp_path / "full" / "tiles" / name / f"{name}_{band}.fits.fz"
        assert drawn.read_bytes() == written.read_bytes()
    leftovers = [p.name for p in (tmp_path / "lazy" / "tiles" / name).iterdir()
                 if not p.name.startswith(".")]
    assert sorted(leftovers) == [f"{name}_g.fits.fz", f"{name}_i.fits.fz"]


def test_a_catalog_that_is_not_a_demo_survey_reports_tiles_without_images(
        demo_survey, tmp_path, monkeypatch):
    # a copy of the catalog without DEMO_SURVEY behaves like a release whose files are absent
    copy = tmp_path / "catalog.duckdb"
    shutil.copyfile(demo_survey / "catalog.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE DEMO_SURVEY")
    con.close()
    monkeypatch.setenv("DESLAB_CATALOG", f"duckdb:///{copy}")
    monkeypatch.setenv("DESLAB_TILES", str(tmp_path / "no-tiles"))
    (tmp_path / "no-tiles").mkdir()
    from deslab.cutouts import tiles

    tiles.reset()
    try:
        s = deslab.cutouts([(0.5, 0.5)], bands="g", output_dir=tmp_path / "out")
    finally:
        tiles.reset()
    assert list(s["STATUS"]) == ["error"] and "has no image data" in s["MESSAGE"][0]

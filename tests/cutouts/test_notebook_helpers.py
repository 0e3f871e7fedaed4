"""Footprint sky map, HTML gallery, and ``deslab recompress-tiles``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import deslab
import matplotlib
import numpy as np
import pytest
from astropy.io import fits
from deslab.errors import CutoutError

matplotlib.use("Agg")


def test_footprint_map_draws_tiles_healpix_and_positions(survey, catalog, tmp_path):
    from matplotlib.collections import PolyCollection

    n_tiles = catalog.execute("SELECT COUNT(*) FROM DR2_TILE_INFO").fetchone()[0]
    # the demo footprint has fields 40 deg either side of RA = 0: "auto" shows the whole sky
    assert deslab.cutouts.footprint_map(show_healpix=False).axes[0].name == "mollweide"
    fig = deslab.cutouts.footprint_map([(0.01, -0.02), (359.9, 0.1)], projection="local")
    ax = fig.axes[0]
    sizes = sorted(len(c.get_paths()) for c in ax.collections if isinstance(c, PolyCollection))
    assert n_tiles in sizes and len(sizes) == 2  # tiles and HEALPix pixels
    x0, x1 = ax.get_xlim()
    assert x0 > x1  # RA grows to the left
    xs, ys = ax.lines[0].get_data()
    assert len(xs) == 2 and min(xs) < 0.1 and max(xs) > -0.2  # RA wrapped around 0
    fig.savefig(tmp_path / "local.png")
    moll = deslab.cutouts.footprint_map(projection="mollweide", show_healpix=False)
    assert moll.axes[0].name == "mollweide"
    moll.savefig(tmp_path / "moll.png")
    assert (tmp_path / "local.png").stat().st_size > 5000
    with pytest.raises(CutoutError, match="projection must be one of"):
        deslab.cutouts.footprint_map(projection="aitoff")


def test_gallery_embeds_the_pngs_and_escapes_text(survey, tmp_path):
    positions = "RA,DEC\n0.01,-0.02\n359.98,0.03\n<b>x</b>,0\n"
    summary = deslab.cutouts(positions, xsize=0.4, output_dir=tmp_path)
    g = deslab.cutouts.gallery(summary)
    html = g._repr_html_()
    assert html.count("<img src='data:image/png;base64,") == 2
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert g.count == 3
    page = g.save(tmp_path / "gallery.html")
    assert page.read_text().startswith("<!doctype html>")
    with pytest.raises(CutoutError, match="summary table"):
        deslab.cutouts.gallery([1, 2])


def test_recompressed_tiles_give_the_same_stamps(survey, tmp_path, monkeypatch):
    src = Path(survey) / "tiles"
    tiles = tmp_path / "tiles"
    shutil.copytree(src / "DES0000+0000", tiles / "DES0000+0000")
    done = subprocess.run([str(Path(sys.executable).parent / "deslab"), "recompress-tiles",
                           "--tiles", str(tiles), "--quiet"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    with fits.open(tiles / "DES0000+0000" / "DES0000+0000_r.fits.fz") as hdul:
        assert tuple(hdul["SCI"].tile_shape) == (256, 256)
    pos = [(0.01, -0.02), (359.97, 0.04)]
    deslab.cutouts(pos, bands="r", rgb=False, output_dir=tmp_path / "a")
    monkeypatch.setenv("DESLAB_TILES", str(tiles))
    after = deslab.cutouts(pos, bands="r", rgb=False, output_dir=tmp_path / "b")
    assert list(after["STATUS"]) == ["ok", "ok"]
    for f in after["FILES"]:
        a = fits.getdata(tmp_path / "a" / f)
        b = fits.getdata(tmp_path / "b" / f)
        assert a.shape == b.shape and np.abs(a - b).max() < 0.5  # re-quantisation only
    bad = subprocess.run([str(Path(sys.executable).parent / "deslab"), "recompress-tiles",
                          "--tiles", str(tmp_path / "none")], capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_lupton_rgb_equals_astropys_and_png_reads_back(tmp_path):
    from astropy.visualization import make_lupton_rgb
    from deslab.cutouts.rgb import LuptonParams, lupton_rgb, write_png
    from PIL import Image

    rng = np.random.default_rng(4)
    star = 3000 * np.exp(-((np.arange(64)[:, None] - 30) ** 2 + (np.arange(64) - 33) ** 2) / 8)
    bands = [(rng.normal(0, 5, (64, 64)) + k * star).astype(np.float32) for k in (1.0, 0.6, 0.3)]
    for minimum, stretch, q in ((0.0, 60.0, 8.0), (-5.0, 20.0, 0.0), (1.5, 5.0, 3.0)):
        ours = lupton_rgb(*bands, LuptonParams(minimum, stretch, q))
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = make_lupton_rgb(*bands, minimum=minimum, stretch=stretch, Q=q)
        diff = np.abs(ours.astype(int) - ref.astype(int))
        assert ours.shape == ref.shape == (64, 64, 3) and ours.dtype == np.uint8
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01  # float rounding only
    write_png(tmp_path / "x.png", ours)
    back = np.asarray(Image.open(tmp_path / "x.png"))
    assert np.array_equal(back, ours[::-1])  # north up: FITS row 0 is the bottom

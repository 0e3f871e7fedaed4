"""Issue 5 point 3: stamps centred on catalog objects, in every band, on every imaged tile
(the one straddling RA = 0 included), with WCS good to half a pixel."""

from __future__ import annotations

import subprocess

import deslab
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from tests.cutouts.conftest import isolated_bright

PIXEL = 0.263  # arcsec


def test_objects_are_at_the_centre_of_their_stamps_in_every_band(survey, catalog, tmp_path):
    tiles = [r[0] for r in catalog.execute(
        "SELECT TILENAME FROM DR2_TILE_INFO WHERE ID <= (SELECT UPFRONT_TILES FROM DEMO_SURVEY) "
        "ORDER BY ID").fetchall()]
    assert "DES0000+0000" in tiles
    objects = []
    for name in tiles:
        objects += isolated_bright(catalog, name, 3)
    # on the RA = 0 tile: objects on both sides of RA = 0
    objects += isolated_bright(catalog, "DES0000+0000", 2, "a.RA > 359")
    objects += isolated_bright(catalog, "DES0000+0000", 2, "a.RA < 1")
    assert sum(1 for o in objects if o[1] > 359) >= 2 and len(objects) >= 20
    positions = [(ra, dec) for _, ra, dec in objects]
    summary = deslab.cutouts(positions, xsize=0.5, ysize=0.4, bands="grizY", rgb=True,
                             output_dir=tmp_path, workers=1)
    assert list(summary["STATUS"]) == ["ok"] * len(objects), list(summary["MESSAGE"])
    for (_, ra, dec), row in zip(objects, summary, strict=True):
        files = row["FILES"].split()
        assert len([f for f in files if f.endswith(".fits")]) == 5
        assert row["PNG"].endswith("_gri.png") and (tmp_path / row["PNG"]).stat().st_size > 0
        target = SkyCoord(ra, dec, unit="deg")
        for f in files[:5]:
            with fits.open(tmp_path / f) as hdul:
                data, header = hdul[0].data, hdul[0].header
            wcs = WCS(header)
            ny, nx = data.shape
            assert (nx, ny) == (round(30 / PIXEL), round(24 / PIXEL))
            # the requested position is within half a pixel of the stamp centre
            x, y = wcs.all_world2pix(ra, dec, 0)
            assert abs(x - (nx - 1) / 2) <= 0.5 + 1e-9 and abs(y - (ny - 1) / 2) <= 0.5 + 1e-9
            # the object's peak is within one pixel of the centre ...
            py, px = np.unravel_index(np.nanargmax(data), data.shape)
            assert abs(px - (nx - 1) / 2) <= 1 and abs(py - (ny - 1) / 2) <= 1, (f, px, py)
            # ... and the WCS puts the peak within one pixel (0.263") of the catalog position
            peak = wcs.pixel_to_world(px, py)
            assert peak.separation(target).arcsec <= PIXEL, (f, peak, target)
            assert header["BAND"] == f.split("_")[-1][0] and header["TILENAME"] == row["TILENAME"]


def test_stamps_are_valid_fits_with_their_tile_wcs(survey, tmp_path):
    summary = deslab.cutouts([(359.995, 0.01)], xsize=0.3, bands="r", rgb=False,
                             output_dir=tmp_path)
    path = tmp_path / summary["FILES"][0]
    done = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
    assert "OK" in done.stdout and done.returncode == 0, done.stdout + done.stderr
    with fits.open(path) as hdul:
        h = hdul[0].header
    assert h["CTYPE1"] == "RA---TAN" and h["CRVAL1"] == 0.0  # the straddling tile's WCS
    assert h["OBJ_RA"] == 359.995 and h["EDGEMODE"] == "trim"

"""Tile lookup from the corners (RA = 0, poles), by name, by object; HEALPix coverage."""

from __future__ import annotations

import deslab
import numpy as np
import pytest
from astropy.table import Table
from astropy.wcs import WCS
from deslab.cutouts.tiles import TileIndex
from deslab.errors import CutoutError


def test_positions_either_side_of_ra_zero_find_the_straddling_tile(survey):
    for ra, dec in ((0.01, -0.02), (359.99, 0.01), (0.0, 0.0)):
        t = deslab.tiles_at(ra, dec)
        assert t["TILENAME"][0] == "DES0000+0000", (ra, dec)
        assert t["CROSSRA0"][0] == "Y"
        assert t["EDGE_DISTANCE"][0] > 0.5  # arcmin


def test_every_object_lies_in_the_tile_named_in_the_catalog(survey, catalog):
    rows = catalog.execute(
        "SELECT RA, DEC, TILENAME FROM DR2_MAIN USING SAMPLE 300 ROWS (reservoir, 7)").fetchall()
    for ra, dec, name in rows:
        assert name in list(deslab.tiles_at(ra, dec)["TILENAME"]), (ra, dec, name)


def test_overlap_is_resolved_to_the_tile_farthest_from_its_edge(survey):
    # the strip between DES0000+0000 and DES0001+0000 (RA 0.045..0.055) is in both
    for ra, best in ((0.0470, "DES0000+0000"), (0.0530, "DES0001+0000")):
        t = deslab.tiles_at(ra, 0.0)
        assert sorted(t["TILENAME"]) == ["DES0000+0000", "DES0001+0000"]
        assert t["TILENAME"][0] == best
        assert t["EDGE_DISTANCE"][0] >= t["EDGE_DISTANCE"][1]


def test_off_footprint_and_bad_positions(survey):
    assert len(deslab.tiles_at(120.0, 30.0)) == 0
    for ra, dec in ((360.0, 0.0), (-1.0, 0.0), (10.0, 91.0), ("x", 0.0), (float("nan"), 0.0)):
        with pytest.raises(CutoutError):
            deslab.tiles_at(ra, dec)


def _tan_tile(name: str, ra: float, dec: float, npix: int = 2000) -> dict:
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra, dec]
    w.wcs.crpix = [(npix + 1) / 2] * 2
    w.wcs.cd = np.diag([-0.263 / 3600, 0.263 / 3600])
    corners = np.array([[1, 1], [npix, 1], [npix, npix], [1, npix]], float)
    cra, cdec = w.all_pix2world(corners[:, 0], corners[:, 1], 1)
    row = {"TILENAME": name, "RA_CENT": ra, "DEC_CENT": dec, "CROSSRA0": "N"}
    for k in range(4):
        row[f"RAC{k + 1}"] = cra[k] % 360
        row[f"DECC{k + 1}"] = cdec[k]
    return row, w


def test_lookup_near_the_poles_follows_the_corners():
    north, wn = _tan_tile("POLE_N", 45.0, 89.95)
    south, ws = _tan_tile("POLE_S", 300.0, -89.99)
    index = TileIndex.from_table(Table(rows=[north, south]))
    # points spread over each image (pixel grid), on all sides of the pole
    for w, name in ((wn, "POLE_N"), (ws, "POLE_S")):
        xs, ys = np.meshgrid(np.linspace(20, 1980, 9), np.linspace(20, 1980, 9))
        ra, dec = w.all_pix2world(xs.ravel(), ys.ravel(), 1)
        for (idx, dist) in index.locate(ra % 360, dec):
            assert [index.names[i] for i in idx] == [name] and dist[0] > 0
        # and just outside the image: not covered
        ra, dec = w.all_pix2world([-30.0, 2030.0, 1000.0], [1000.0, 1000.0, 2040.0], 1)
        for (idx, _) in index.locate(ra % 360, dec):
            assert idx.size == 0
    # the pole itself is inside the southern tile (0.01 deg from its centre)
    assert [index.names[i] for i in index.locate(123.0, -90.0)[0][0]] == ["POLE_S"]


def test_lookup_by_name_and_by_object(survey, catalog):
    t = deslab.cutouts.tile_by_name("des0000+0000")
    assert t["TILENAME"][0] == "DES0000+0000" and t["RAC1"][0] < 0.1 and t["RAC2"][0] > 359.9
    assert "DES0000+0000_g.fits.fz" in t["FILES"][0]
    with pytest.raises(CutoutError, match="no tile is named"):
        deslab.cutouts.tile_by_name("DES9999+9999")
    ids = [r[0] for r in catalog.execute(
        "SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID LIMIT 3").fetchall()]
    found = deslab.cutouts.tiles_for_objects(ids + [12345])
    assert sorted(found["COADD_OBJECT_ID"]) == ids
    for row in found:
        assert row["TILENAME"] in list(deslab.tiles_at(row["RA"], row["DEC"])["TILENAME"])


def test_healpix_coverage_matches_the_catalog_footprint(survey, catalog):
    cov = deslab.cutouts.coverage_map(32)
    assert cov.shape == (12 * 32**2,)
    covered = set(np.flatnonzero(cov > 0))
    used = {r[0] for r in catalog.execute("SELECT DISTINCT HPIX_32 FROM DR2_MAIN").fetchall()}
    assert used <= covered
    # covered area = area of the tiles' images (overlaps counted once each tile)
    area = (cov * 4 * np.pi / cov.size).sum() * (180 / np.pi) ** 2
    n_tiles = catalog.execute("SELECT COUNT(*) FROM DR2_TILE_INFO").fetchone()[0]
    assert area == pytest.approx(n_tiles * (1500 * 0.263 / 3600) ** 2, rel=0.02)
    imaged = deslab.cutouts.coverage_map(32, imaged_only=True)
    assert imaged.sum() == cov.sum()  # every tile of the demo survey has images

"""The tiling of the demo survey: tile centres, names, WCS, corners and unique areas.

Tiles lie on rows of constant declination around (RA, Dec) = (0, 0), as DES tiles do, with
centres every 0.1 deg in Dec and a multiple of 0.1 deg in RA (so that the names are unique),
overlapping their neighbours by a few percent. Tile 0 is centred on RA = 0 and straddles it
(CROSSRA0 = 'Y'). Tiles are ordered in rings around tile 0, so the first ``imaged`` tiles
form a compact block (the ones written up front). After the rings come small blocks of tiles
on the fields of :data:`FIELDS`, where the example queries of the DES documentation look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

PIXEL_SCALE = 0.263  # arcsec per pixel, as DES coadds
OVERLAP = 0.05  # minimum fraction of a tile shared with each neighbour
MIN_TILE_PIXELS = 1500  # smaller tiles could not overlap at the 0.1 deg naming grid
# (name, RA, Dec) of fields covered by a 3 x 3 block of tiles besides the rings around (0, 0):
# the regions the DES DR2 example queries select (globular cluster M2; RA 40-41, Dec -41..-40)
FIELDS = (("M2", 323.36, -0.82), ("RA40_DEC-40", 40.5, -40.5))
FIELD_SIDE = 3
FIELD_TILES = len(FIELDS) * FIELD_SIDE**2


@dataclass(frozen=True)
class Tile:
    """One tile of the demo survey."""

    index: int
    name: str
    ra: float
    dec: float
    step_ra: float  # width of the unique area in RA (deg)
    step_dec: float  # height of the unique area in Dec (deg)
    npix: int
    field: str = ""  # name of the field of FIELDS the tile covers ("" in the rings)

    def wcs(self) -> WCS:
        """The TAN WCS of the tile's images (FITS 1-based CRPIX at the image centre)."""
        return WCS(self.header())

    def header(self) -> fits.Header:
        h = fits.Header()
        h["CTYPE1"] = "RA---TAN"
        h["CTYPE2"] = "DEC--TAN"
        h["CRVAL1"] = self.ra
        h["CRVAL2"] = self.dec
        h["CRPIX1"] = (self.npix + 1) / 2.0
        h["CRPIX2"] = (self.npix + 1) / 2.0
        h["CD1_1"] = -PIXEL_SCALE / 3600.0
        h["CD1_2"] = 0.0
        h["CD2_1"] = 0.0
        h["CD2_2"] = PIXEL_SCALE / 3600.0
        h["CUNIT1"] = "deg"
        h["CUNIT2"] = "deg"
        h["RADESYS"] = "ICRS"
        h["EQUINOX"] = 2000.0
        return h


def tile_name(ra: float, dec: float) -> str:
    """DES-style name: 'DES' + RA in units of 0.1 deg (4 digits) + Dec as +-DDMM."""
    ra_part = int(round(ra * 10)) % 3600
    sign = "-" if dec < -1e-9 else "+"
    arcmin = int(round(abs(dec) * 60))
    return f"DES{ra_part:04d}{sign}{arcmin // 60:02d}{arcmin % 60:02d}"


def _step(width: float) -> float:
    """Largest multiple of 0.1 deg that keeps OVERLAP between neighbours (at least 0.1)."""
    return max(1, math.floor(width * (1 - OVERLAP) * 10 + 1e-9)) / 10.0


def build_tiles(n_tiles: int, npix: int) -> list[Tile]:
    """``n_tiles`` tiles in rings around (0, 0), then the blocks on :data:`FIELDS`."""
    ring = _ring_tiles(n_tiles, npix)
    names = {t.name for t in ring}
    width = npix * PIXEL_SCALE / 3600.0
    step_dec = _step(width)
    for field, ra0, dec0 in FIELDS:
        half = FIELD_SIDE // 2
        j0 = round(dec0 / step_dec)
        for j in range(j0 - half, j0 + half + 1):
            dec = j * step_dec
            step_ra = _step(width / math.cos(math.radians(dec)))
            i0 = round(ra0 / step_ra)
            for i in range(i0 - half, i0 + half + 1):
                ra = (i * step_ra) % 360.0
                name = tile_name(ra, dec)
                if name not in names:
                    names.add(name)
                    ring.append(Tile(len(ring), name, ra, dec, step_ra, step_dec, npix, field))
    return ring


def _ring_tiles(n_tiles: int, npix: int) -> list[Tile]:
    """The first ``n_tiles`` tiles of the rings around (0, 0)."""
    if npix < MIN_TILE_PIXELS:
        raise ValueError(f"tile size must be at least {MIN_TILE_PIXELS} pixels, got {npix}")
    width = npix * PIXEL_SCALE / 3600.0
    step_dec = _step(width)
    side = int(math.ceil(math.sqrt(n_tiles))) + 2
    half = side // 2
    cells = []
    for j in range(-half, half + 1):
        dec = j * step_dec
        if abs(dec) + width > 89.0:
            continue
        step_ra = _step(width / math.cos(math.radians(dec)))
        n_ra = int(360.0 / step_ra + 1e-9)
        for i in range(-half, half + 1):
            if 2 * abs(i) + 1 > n_ra:
                continue
            cells.append((max(abs(i), abs(j)), j, i, dec, step_ra))
    cells.sort(key=lambda c: (c[0], c[1], c[2]))
    if len(cells) < n_tiles:
        raise ValueError(f"cannot place {n_tiles} tiles of {npix} pixels")
    tiles = []
    for index, (_, _, i, dec, step_ra) in enumerate(cells[:n_tiles]):
        ra = (i * step_ra) % 360.0
        tiles.append(Tile(index, tile_name(ra, dec), ra, dec, step_ra, step_dec, npix))
    return tiles


def tile_row(tile: Tile, compress: bool) -> dict[str, object]:
    """The DR2_TILE_INFO row of a tile (every tile has images: those not written up front
    are generated on first use, see :mod:`deslab.demo.tilegen`)."""
    w = tile.wcs()
    n = tile.npix
    corners = np.array([[1, 1], [n, 1], [n, n], [1, n]], dtype=float)
    cra, cdec = w.all_pix2world(corners[:, 0], corners[:, 1], 1)
    cra = np.mod(cra, 360.0)
    half_ra = tile.step_ra / 2.0
    row: dict[str, object] = {
        "TILENAME": tile.name,
        "ID": tile.index + 1,
        "RA_CENT": tile.ra,
        "DEC_CENT": tile.dec,
    }
    for k in range(4):
        row[f"RAC{k + 1}"] = float(cra[k])
    for k in range(4):
        row[f"DECC{k + 1}"] = float(cdec[k])
    # corner 2 is the western edge (x grows to the west), corner 1 the eastern one
    row["RACMIN"] = float(min(cra[1], cra[2]))
    row["RACMAX"] = float(max(cra[0], cra[3]))
    row["DECCMIN"] = float(min(cdec))
    row["DECCMAX"] = float(max(cdec))
    row["RA_SIZE"] = float((row["RACMAX"] - row["RACMIN"]) % 360.0)
    row["DEC_SIZE"] = row["DECCMAX"] - row["DECCMIN"]
    row["URAMIN"] = float((tile.ra - half_ra) % 360.0)
    row["URAMAX"] = float((tile.ra + half_ra) % 360.0)
    row["UDECMIN"] = tile.dec - tile.step_dec / 2.0
    row["UDECMAX"] = tile.dec + tile.step_dec / 2.0
    row["CROSSRA0"] = "Y" if _cross(cra) else "N"
    row["PIXELSCALE"] = PIXEL_SCALE
    row["NAXIS1"] = n
    row["NAXIS2"] = n
    for band in IMAGE_BANDS:
        row[f"FITS_IMAGE_{band.upper()}"] = image_path(tile.name, band, compress)
    for name in ("TIFF_COLOR_IMAGE", "FITS_DR2_MAIN", "FITS_DR2_MAGNITUDE", "FITS_DR2_FLUX"):
        row[name] = None
    return row


IMAGE_BANDS = ("g", "r", "i", "z", "Y", "det")


def image_path(tilename: str, band: str, compress: bool) -> str:
    """File of a tile image relative to the tile directory (``band`` in grizY or ``det``)."""
    return f"{tilename}/{tilename}_{band}{'.fits.fz' if compress else '.fits'}"


def _cross(cra: np.ndarray) -> bool:
    return bool(cra.max() - cra.min() > 180.0)

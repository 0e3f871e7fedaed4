"""Reading stamp regions from tile images and writing FITS stamps with their WCS.

Reads are planned per tile so that each image row is decompressed at most once:

- row-tiled ``.fits.fz`` (as DES ships them): the rows the stamps need are read in merged
  blocks (full width) and the stamps cut from the blocks in memory;
- block-tiled ``.fits.fz`` (``deslab recompress-tiles``): each stamp's section is read
  directly (only the compression tiles it touches are decompressed);
- plain FITS: the image is memory-mapped and sliced.

Memory stays bounded by one block per band (``MAX_BLOCK_PIXELS``), whatever the number of
positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

MAX_BLOCK_PIXELS = 40_000_000  # pixels of one band held at once (160 MB of float32)
WCS_KEYS = ("CTYPE1", "CTYPE2", "CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2", "CD1_1", "CD1_2",
            "CD2_1", "CD2_2", "CUNIT1", "CUNIT2", "RADESYS", "EQUINOX")
COPY_KEYS = ("TILENAME", "BAND", "MAGZERO", "PSF_FWHM", "BUNIT")


@dataclass
class Box:
    """Pixel box of one stamp in the tile (0-based, end exclusive) and its full size."""

    x0: int
    y0: int
    nx: int
    ny: int

    def clipped(self, width: int, height: int) -> tuple[int, int, int, int]:
        return (max(self.x0, 0), max(self.y0, 0), min(self.x0 + self.nx, width),
                min(self.y0 + self.ny, height))


def stamp_box(x: float, y: float, nx: int, ny: int) -> Box:
    """The box of ``nx`` x ``ny`` pixels centred on 0-based pixel position (x, y): the
    position lands within half a pixel of the stamp centre ((n - 1) / 2)."""
    return Box(int(np.floor(x - (nx - 1) / 2.0 + 0.5)), int(np.floor(y - (ny - 1) / 2.0 + 0.5)),
               nx, ny)


class TileImage:
    """One band of one tile, opened for stamp reads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with fits.open(self.path, memmap=True, lazy_load_hdus=True) as hdul:
            hdu = hdul["SCI"] if "SCI" in hdul else hdul[1 if len(hdul) > 1 else 0]
            self.header = hdu.header.copy()
            self.hdu_index = hdul.index_of(hdu.name) if hdu.name else 1
            self.compressed = isinstance(hdu, fits.CompImageHDU)
            tile_shape = tuple(int(v) for v in hdu.tile_shape) if self.compressed else None
        self.width = int(self.header["NAXIS1"])
        self.height = int(self.header["NAXIS2"])
        # compression tiles spanning whole rows: stamps are cut from merged row blocks
        self.row_tiled = bool(tile_shape and tile_shape[-1] >= self.width)
        self.wcs = WCS(self.header)
        self.cards = {k: self.header[k] for k in WCS_KEYS + COPY_KEYS if k in self.header}
        # the cards every stamp of this image shares, formatted once
        self.static_cards = "".join(_card(k, v, "") for k, v in self.cards.items()
                                    if k not in ("CRPIX1", "CRPIX2"))
        self._fits = None
        self._mmap = None

    def __enter__(self) -> TileImage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._fits is not None:
            self._fits.close()
            self._fits = None
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None

    def pixel_scale(self) -> float:
        """Pixel scale in arcsec."""
        return float(np.sqrt(abs(np.linalg.det(self.wcs.pixel_scale_matrix))) * 3600.0)

    def read_rows(self, y0: int, y1: int) -> np.ndarray:
        """Full-width rows y0..y1-1 (float32)."""
        return self.read(0, y0, self.width, y1)

    def read(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """The section [y0:y1, x0:x1] as native float32 (inside the image)."""
        if self.compressed:
            if self._fits is None:
                import fitsio

                self._fits = fitsio.FITS(str(self.path))
            data = self._fits[self.hdu_index][y0:y1, x0:x1]
        else:
            if self._mmap is None:
                self._mmap = fits.open(self.path, memmap=True)
            data = self._mmap[self.hdu_index].data[y0:y1, x0:x1]
        return np.asarray(data, dtype=np.float32)


def cut(source: np.ndarray, sx0: int, sy0: int, box: Box, width: int, height: int,
        edge: str) -> tuple[np.ndarray, int, int]:
    """Cut ``box`` from ``source`` (whose pixel [0, 0] is tile pixel (sx0, sy0)).

    Returns the stamp and the tile pixel of its [0, 0]: with ``edge="trim"`` the part inside
    the tile; with ``edge="pad"`` the full box, NaN outside the tile.
    """
    x0, y0, x1, y1 = box.clipped(width, height)
    part = source[y0 - sy0:y1 - sy0, x0 - sx0:x1 - sx0]
    if edge == "trim" or (x0 == box.x0 and y0 == box.y0 and x1 - x0 == box.nx
                          and y1 - y0 == box.ny):
        return np.array(part, dtype=np.float32), x0, y0
    out = np.full((box.ny, box.nx), np.nan, dtype=np.float32)
    out[y0 - box.y0:y1 - box.y0, x0 - box.x0:x1 - box.x0] = part
    return out, box.x0, box.y0


def plan_blocks(boxes: list[Box], height: int, width: int) -> list[tuple[int, int, list[int]]]:
    """Merge the stamps' row ranges into blocks (y0, y1, stamp indices) of bounded size."""
    max_rows = max(1, MAX_BLOCK_PIXELS // max(width, 1))
    order = sorted(range(len(boxes)), key=lambda k: boxes[k].y0)
    blocks: list[tuple[int, int, list[int]]] = []
    for k in order:
        b = boxes[k]
        y0, y1 = max(b.y0, 0), min(b.y0 + b.ny, height)
        if y1 <= y0:
            y0 = y1 = min(max(b.y0, 0), height)
        if blocks and y0 <= blocks[-1][1] and max(y1, blocks[-1][1]) - blocks[-1][0] <= max_rows:
            start, end, members = blocks[-1]
            blocks[-1] = (start, max(end, y1), members + [k])
        else:
            blocks.append((y0, y1, [k]))
    return blocks


def stamp_header(tile: TileImage, x0: int, y0: int, extra: dict[str, object]) -> str:
    """FITS cards (80-character records) of a stamp whose [0, 0] is tile pixel (x0, y0): the
    tile's WCS with CRPIX moved to the stamp, the tile's band keywords, then ``extra``."""
    cards = [tile.static_cards]
    if "CRPIX1" in tile.cards:
        cards.append(_card("CRPIX1", float(tile.cards["CRPIX1"]) - x0, ""))
    if "CRPIX2" in tile.cards:
        cards.append(_card("CRPIX2", float(tile.cards["CRPIX2"]) - y0, ""))
    cards += [_card(k, v, "") for k, v in extra.items()]
    return "".join(cards)


def write_fits(path: Path, data: np.ndarray, cards: str) -> None:
    """Write a float32 image with the given cards as a minimal valid FITS file, fast."""
    ny, nx = data.shape
    head = "".join([
        _card("SIMPLE", True, "conforms to FITS standard"),
        _card("BITPIX", -32, "32-bit IEEE floating point"),
        _card("NAXIS", 2, ""),
        _card("NAXIS1", nx, ""),
        _card("NAXIS2", ny, ""),
        cards,
        "END".ljust(80),
    ])
    head += " " * (-len(head) % 2880)
    body = np.ascontiguousarray(data, dtype=">f4")
    write_file(path, [head.encode("ascii"), body, b"\0" * (-body.nbytes % 2880)])


def write_file(path: Path, parts: list) -> None:
    """Write a small file in one go; a failed write leaves no partial file behind."""
    try:
        with open(path, "wb") as f:
            for part in parts:
                f.write(part)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _card(key: str, value: object, comment: str) -> str:
    if isinstance(value, bool | np.bool_):
        text = f"{'T' if value else 'F':>20}"
    elif isinstance(value, int | np.integer):
        text = f"{int(value):>20}"
    elif isinstance(value, float | np.floating):
        v = f"{float(value):.16G}"
        if "." not in v and "E" not in v:
            v += ".0"
        text = f"{v:>20}"
    else:
        s = str(value).replace("'", "''")
        s = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in s)[:68]
        text = f"'{s:<8}'"
    card = f"{key:<8}= {text}"
    if comment:
        card += f" / {comment}"
    return card[:80].ljust(80)

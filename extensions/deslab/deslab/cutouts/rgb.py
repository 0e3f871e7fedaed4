"""Colour images: Lupton et al. (2004) RGB from three bands, written as PNG quickly.

The colour mapping is astropy's :func:`~astropy.visualization.make_lupton_rgb`; the PNG is
encoded here without adaptive filters at zlib level 1 (the default path through matplotlib
spends most of its time encoding). North is up and east to the left.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deslab.errors import CutoutError

BANDS_ORDER = "grizY"  # blue to red
PNG_LEVEL = 1  # zlib level of the PNGs: fast; noise does not compress much better anyway


@dataclass(frozen=True)
class LuptonParams:
    """Parameters of the Lupton RGB mapping (see astropy's ``make_lupton_rgb``).

    Attributes
    ----------
    minimum : float
        Intensity mapped to black (counts at zero point 30).
    stretch : float
        Linear stretch of the image (counts).
    Q : float
        Asinh softening parameter.
    """

    minimum: float = 0.0
    stretch: float = 60.0
    Q: float = 8.0

    def check(self) -> None:
        for name in ("minimum", "stretch", "Q"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not np.isfinite(v):
                raise CutoutError(f"rgb parameter {name} must be a finite number, got {v!r}")
        if self.stretch <= 0:
            raise CutoutError(f"rgb stretch must be positive, got {self.stretch!r}")
        if self.Q < 0:
            raise CutoutError(f"rgb Q must be zero or positive, got {self.Q!r}")


def order_rgb(bands: str) -> tuple[str, str, str]:
    """(red, green, blue) bands from three bands in any order: reddest is red."""
    ordered = sorted(bands, key=BANDS_ORDER.index)
    return ordered[2], ordered[1], ordered[0]


def lupton_rgb(red: np.ndarray, green: np.ndarray, blue: np.ndarray,
               params: LuptonParams) -> np.ndarray:
    """uint8 RGB array (rows bottom to top, as the FITS data) of three same-shape images."""
    from astropy.visualization import make_lupton_rgb

    imgs = [np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0) for a in (red, green, blue)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return make_lupton_rgb(*imgs, minimum=params.minimum, stretch=params.stretch,
                               Q=params.Q)


def png_bytes(rgb: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    """An 8-bit RGB PNG of an (ny, nx, 3) uint8 array whose row 0 is the top.

    Written directly (filter type 0 on every row, one zlib stream): noisy sky images gain
    little from PNG's adaptive filters, and skipping them makes encoding several times faster
    than Pillow or matplotlib.
    """
    ny, nx, _ = rgb.shape
    raw = np.empty((ny, 3 * nx + 1), dtype=np.uint8)
    raw[:, 0] = 0
    raw[:, 1:] = rgb.reshape(ny, 3 * nx)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", nx, ny, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + chunk(b"IEND", b""))


def write_png(path: Path, rgb: np.ndarray, level: int = PNG_LEVEL) -> None:
    """Write an RGB array (FITS row order: row 0 at the bottom) as PNG, north up."""
    from deslab.cutouts.stamps import write_file

    write_file(path, [png_bytes(rgb[::-1], level)])

"""``deslab recompress-tiles``: re-compress tile images in square blocks for fast stamps.

DES ships its coadd tiles RICE-compressed one image row per compression tile, so a stamp
needs every row it spans decompressed across the whole tile width. Re-compressed in 256x256
blocks, a 1 arcmin stamp touches only 4 to 9 blocks. ``deslab.cutouts`` reads either layout;
this command is optional.

Floats are re-quantised at 1/16 of the noise (``--qlevel``, finer than DES's), or stored
losslessly with ``--lossless`` (GZIP_2, larger files).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from deslab.errors import DeslabError

HELP = "Re-compress tile images in square blocks (e.g. 256x256) for fast partial reads."


class RecompressError(DeslabError, OSError):
    """A tile image could not be re-compressed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tiles", type=Path, default=None, metavar="DIR",
                        help="tile directory (default: DESLAB_TILES)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write the re-compressed tree here (default: replace in place)")
    parser.add_argument("--block", type=int, default=256, metavar="N",
                        help="side of the square compression blocks in pixels (default 256)")
    parser.add_argument("--qlevel", type=float, default=16.0,
                        help="quantisation level for floats (default 16: noise/16)")
    parser.add_argument("--lossless", action="store_true",
                        help="no quantisation: GZIP_2 compression, larger files")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from deslab.settings import settings

    root = args.tiles or settings().require_tiles()
    if not root.is_dir():
        raise RecompressError(f"the tile directory {root} does not exist")
    if not 16 <= args.block <= 4096:
        raise RecompressError(f"--block must be between 16 and 4096, got {args.block}")
    files = sorted(p for p in root.rglob("*.fits*") if p.name.endswith((".fits", ".fits.fz")))
    if not files:
        raise RecompressError(f"no .fits or .fits.fz files under {root}")
    for path in files:
        rel = path.relative_to(root)
        name = rel.name[:-3] if rel.name.endswith(".fz") else rel.name
        target = (args.out or root) / rel.parent / (name + ".fz")
        recompress(path, target, args.block, None if args.lossless else args.qlevel)
        if args.out is None and target != path:
            path.unlink()
        if not args.quiet:
            print(f"{rel} -> {target.relative_to(args.out or root)}")
    return 0


def recompress(src: Path, dst: Path, block: int, qlevel: float | None) -> None:
    """Re-write one image (HDU "SCI" or the first image) compressed in ``block`` squares."""
    import fitsio
    from astropy.io import fits

    with fits.open(src, memmap=True) as hdul:
        hdu = hdul["SCI"] if "SCI" in hdul else next(h for h in hdul if h.data is not None)
        header = hdu.header.copy()
        data = np.asarray(hdu.data)
    skip = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "PCOUNT",
            "GCOUNT", "EXTNAME", "CHECKSUM", "DATASUM"}
    records = [{"name": c.keyword, "value": c.value, "comment": c.comment}
               for c in header.cards if c.keyword and c.keyword not in skip]
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    try:
        with fitsio.FITS(str(tmp), "rw", clobber=True) as f:
            if qlevel is None:
                f.write_image(data, compress="GZIP_2", tile_dims=(block, block), qlevel=None,
                              header=records, extname="SCI")
            else:
                f.write_image(data, compress="RICE", tile_dims=(block, block), qlevel=qlevel,
                              dither_seed="checksum", header=records, extname="SCI")
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

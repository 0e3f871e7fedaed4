"""``deslab demo-data``: write the demo survey (catalog and tiles) into a directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from deslab.demo.survey import (
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEFAULT_TILE_PIXELS,
    DEFAULT_TILES,
    generate,
)
from deslab.errors import DeslabError

HELP = "Generate the deterministic demo survey: DIR/catalog.duckdb and FITS tiles in DIR/tiles."


class DemoDataError(DeslabError, ValueError):
    """The demo survey could not be written with the given options."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="directory to write catalog.duckdb and tiles/ into")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="N",
                        help=f"number of catalog objects (default {DEFAULT_ROWS})")
    parser.add_argument("--tiles", type=int, default=DEFAULT_TILES, metavar="K",
                        help=f"number of tiles with pixel data (default {DEFAULT_TILES})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=f"random seed; same seed, same survey (default {DEFAULT_SEED})")
    parser.add_argument("--tile-pixels", type=int, default=DEFAULT_TILE_PIXELS, metavar="P",
                        help=f"side of the tile images in pixels (default {DEFAULT_TILE_PIXELS})")
    parser.add_argument("--plain-fits", action="store_true",
                        help="write plain .fits tiles instead of RICE-compressed .fits.fz")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    say = None if args.quiet else print
    try:
        generate(args.out, rows=args.rows, tiles=args.tiles, seed=args.seed,
                 compress=not args.plain_fits, tile_pixels=args.tile_pixels, progress=say)
    except ValueError as exc:
        raise DemoDataError(str(exc)) from None
    except OSError as exc:
        raise DemoDataError(
            f"cannot write to {args.out}: {exc.strerror or exc}; choose a writable directory"
        ) from None
    if say:
        cat = Path(args.out).resolve() / "catalog.duckdb"
        print(f"DESLAB_CATALOG=duckdb:///{cat}")
        print(f"DESLAB_TILES={Path(args.out).resolve() / 'tiles'}")
    return 0

"""The deterministic demo survey: a DuckDB catalog (DES DR2 names) and FITS tiles.

>>> from deslab.demo import generate
>>> generate("/tmp/demo")            # doctest: +SKIP

See :func:`deslab.demo.survey.generate` and docs/demo-survey.md.
"""

from __future__ import annotations

from deslab.demo.survey import (
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEFAULT_TILE_PIXELS,
    DEFAULT_TILES,
    generate,
)

__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "DEFAULT_TILE_PIXELS", "DEFAULT_TILES", "generate"]

"""Cutouts and footprint: tile lookup, FITS stamps and colour PNGs, sky maps, galleries.

``deslab.cutouts(positions, ...)`` cuts stamps (see :func:`deslab.cutouts.api.cutouts`);
this package is itself callable, so ``deslab.cutouts(...)`` works however it was imported.
Helpers for notebooks: :func:`gallery`, :func:`footprint_map`, :func:`coverage_map`,
:func:`tiles_at`, :func:`tile_by_name`, :func:`tiles_for_objects`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_HELPERS = {
    "cutouts": "deslab.cutouts.api",
    "tiles_at": "deslab.cutouts.tiles",
    "tile_by_name": "deslab.cutouts.tiles",
    "tiles_for_objects": "deslab.cutouts.tiles",
    "coverage_map": "deslab.cutouts.footprint",
    "footprint_map": "deslab.cutouts.footprint",
    "gallery": "deslab.cutouts.html_gallery",
}

__all__ = sorted(_HELPERS)


def __getattr__(name: str) -> Any:
    module = _HELPERS.get(name)
    if module is None:
        raise AttributeError(f"module 'deslab.cutouts' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


class _CallablePackage(types.ModuleType):
    """Lets ``deslab.cutouts(...)`` call :func:`deslab.cutouts.api.cutouts`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from deslab.cutouts.api import cutouts

        return cutouts(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

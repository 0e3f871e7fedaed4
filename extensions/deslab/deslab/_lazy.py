"""Lazy public names: a package lists ``name -> defining module`` and imports on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(
    package: str,
    api: Mapping[str, str],
    namespace: dict[str, Any],
    subpackages: tuple[str, ...] = (),
) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` that imports ``api[name]`` once and caches the value.

    Names in ``subpackages`` resolve to ``package.<name>`` itself.
    """

    def __getattr__(name: str) -> Any:
        if name in subpackages:
            return importlib.import_module(f"{package}.{name}")
        module = api.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__

"""The survey catalog: backends, Oracle SQL, read-only guard, timeouts, exports, metadata.

The public functions are in :mod:`deslab.catalog.api` (and on ``deslab`` itself);
:func:`connect` gives the backend object for the configured catalog.
"""

from __future__ import annotations

import threading

from deslab.catalog.backends.base import Backend
from deslab.catalog.url import CatalogURL, load_password, parse_url
from deslab.settings import settings

_cache: dict[str, Backend] = {}
_cache_lock = threading.Lock()


def open_backend(url: CatalogURL) -> Backend:
    """A new backend for ``url`` (credentials read now from the configured file/variable)."""
    if url.scheme == "duckdb":
        from deslab.catalog.backends.duckdb_backend import DuckDBBackend

        return DuckDBBackend(url)
    from deslab.catalog.backends.oracle_backend import OracleBackend

    return OracleBackend(url, load_password())


def connect(url: str | None = None, *, cached: bool = True) -> Backend:
    """The backend of the catalog at ``url`` (default: ``DESLAB_CATALOG``).

    Parameters
    ----------
    url : str, optional
        ``duckdb:///path/catalog.duckdb`` or ``oracle://user@host:port/service``.
    cached : bool
        Reuse the backend already opened for this URL in this process (default).

    Returns
    -------
    Backend
        With ``.interrupt()`` to cancel the statement running on it.
    """
    text = url or settings().require_catalog()
    parsed = parse_url(text)
    if not cached:
        return open_backend(parsed)
    key = str(parsed) + "?" + "&".join(f"{k}={v}" for k, v in sorted(parsed.options.items()))
    with _cache_lock:
        backend = _cache.get(key)
        if backend is None:
            backend = open_backend(parsed)
            _cache[key] = backend
        return backend


def reset() -> None:
    """Close and forget every cached backend (tests; after the catalog file was replaced)."""
    with _cache_lock:
        for b in _cache.values():
            b.close()
        _cache.clear()


__all__ = ["Backend", "connect", "reset"]

"""DESlab: query the survey catalog, run jobs, cut stamps and score anomalies.

The public API is imported lazily so that ``import deslab`` stays fast in a kernel:

>>> import deslab
>>> t = deslab.query("SELECT COUNT(*) AS n FROM DR2_MAIN")   # doctest: +SKIP

``%load_ext deslab`` registers the ``%%desql`` magics.
"""

from __future__ import annotations

from typing import Any

from deslab._lazy import lazy_getattr
from deslab._version import __version__

# public name -> module that defines it (one place each; surfaces import from here)
_API = {
    "query": "deslab.catalog.api",
    "query_to_file": "deslab.catalog.api",
    "describe_table": "deslab.catalog.api",
    "find_tables": "deslab.catalog.api",
    "find_tables_with_column": "deslab.catalog.api",
    "find_columns": "deslab.catalog.api",
    "submit_query": "deslab.jobs.client",
    "submit_cutouts": "deslab.jobs.client",
    "submit_anomaly": "deslab.jobs.client",
    "jobs": "deslab.jobs.client",
    "Job": "deslab.jobs.client",
    "tiles_at": "deslab.cutouts.tiles",
    "DeslabError": "deslab.errors",
}

# subpackages reachable as attributes after a bare `import deslab` (deslab.anomaly.score_catalog);
# deslab.cutouts is the package, itself callable: deslab.cutouts(...) and deslab.cutouts.gallery
_SUBPACKAGES = ("anomaly", "cutouts", "dask")

__all__ = sorted([*_API, "cutouts"]) + ["__version__"]


__getattr__ = lazy_getattr("deslab", _API, globals(), _SUBPACKAGES)


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext deslab``: register the ``%%desql`` family of magics."""
    from deslab.magics import load_ipython_extension as load

    load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "deslab.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "deslab"}]

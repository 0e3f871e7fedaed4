"""Anomaly detection: a fast, faithful Extended Isolation Forest, on one core or on Dask.

>>> from deslab.anomaly import ExtendedIsolationForest
>>> forest = ExtendedIsolationForest(random_state=0).fit(x)      # doctest: +SKIP
>>> scores = forest.score_samples(x)                             # doctest: +SKIP
>>> result = deslab.anomaly.score_catalog("SELECT ...", columns=["G_R", "R_I"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from deslab.errors import AnomalyError

_API = {
    "ExtendedIsolationForest": "deslab.anomaly.estimator",
    "AnomalyWarning": "deslab.anomaly.validation",
    "score_catalog": "deslab.anomaly.catalog",
    "AnomalyResult": "deslab.anomaly.catalog",
}

__all__ = sorted(_API) + ["AnomalyError"]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'deslab.anomaly' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

"""Anomaly detection: a fast, faithful Extended Isolation Forest, on one core or on Dask.

>>> from deslab.anomaly import ExtendedIsolationForest
>>> forest = ExtendedIsolationForest(random_state=0).fit(x)      # doctest: +SKIP
>>> scores = forest.score_samples(x)                             # doctest: +SKIP
>>> result = deslab.anomaly.score_catalog("SELECT ...", columns=["G_R", "R_I"])  # doctest: +SKIP
"""

from __future__ import annotations

from deslab._lazy import lazy_getattr
from deslab.errors import AnomalyError

_API = {
    "ExtendedIsolationForest": "deslab.anomaly.estimator",
    "AnomalyWarning": "deslab.anomaly.validation",
    "score_catalog": "deslab.anomaly.catalog",
    "AnomalyResult": "deslab.anomaly.catalog",
}

__all__ = sorted(_API) + ["AnomalyError"]


__getattr__ = lazy_getattr("deslab.anomaly", _API, globals())

"""Fit and score the forest on Dask arrays and DataFrames.

Fitting: the client draws each tree's sample of row indices (cheap, from the tree's own
generator), one pass gathers those rows from the partitions, and batches of trees are grown
in parallel on the workers, each from the generator state the client handed over, so the
trees are exactly those a single process grows. Scoring: the fitted forest is scattered once
to every worker (broadcast) and each partition is scored against the whole forest, summing
path lengths over all trees in tree order; the scores therefore equal the single-process
ones bit for bit, whatever the partitioning, and a task lost with a worker is recomputed to
the same values.
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol

import dask
import dask.array as da
import numpy as np

from deslab.anomaly import forest as _forest
from deslab.anomaly.validation import check_columns, check_finite, warn_constant_columns
from deslab.errors import AnomalyError


class DaskFittable(Protocol):
    """The estimator as the Dask functions use it (:class:`~deslab.anomaly.ExtendedIsolationForest`
    calls them with itself; this module never imports it)."""

    n_estimators: int
    contamination: str | float
    extension_level_: int
    max_samples_: int
    max_depth_: int
    seed_: int
    forest_: _forest.Forest

    def _plan(self, n_rows: int, n_features: int, names: list[str] | None) -> None: ...

    def _finish(self, forest: _forest.Forest, train_scores: Any = None) -> None: ...


def _client() -> Any:
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def as_dask_matrix(X: Any, names: list[str] | None = None) -> tuple[da.Array, list[str]]:
    """A float64 dask array with known chunk sizes and one chunk across the columns."""
    if hasattr(X, "columns") and hasattr(X, "map_partitions"):  # dask DataFrame
        cols = [str(c) for c in X.columns] if names is None else list(names)
        missing = [c for c in cols if c not in [str(c) for c in X.columns]]
        if missing:
            raise AnomalyError(
                f"columns used in the fit are missing: {', '.join(missing)} "
                f"(the fit used: {', '.join(cols)})"
            )
        arr = X[cols].to_dask_array(lengths=True)
    elif isinstance(X, da.Array):
        arr = X
        if arr.ndim != 2:
            raise AnomalyError(f"features must be 2-D (rows x columns); got shape {arr.shape}")
        if any(np.isnan(c) for c in arr.chunks[0]):
            arr = arr.compute_chunk_sizes()
        cols = [f"x{i}" for i in range(arr.shape[1])] if names is None else list(names)
    else:
        raise AnomalyError(f"expected a dask array or DataFrame, got {type(X).__name__}")
    if arr.dtype.kind not in "biuf":
        raise AnomalyError(f"features must be numeric; got dtype {arr.dtype}")
    arr = arr.astype(np.float64).rechunk({1: -1})
    return arr, cols


def _grow_batch(sample: np.ndarray, plans: list, limit: int, k: int) -> list[tuple]:
    return [_forest.grow(sample[pos], rng, limit, k) for rng, pos in plans]


def fit_dask(est: DaskFittable, X: Any, n_batches: int | None = None):
    """Fit ``est`` on a dask collection; trees are grown in parallel on the workers."""
    is_frame = hasattr(X, "map_partitions")
    arr, names = as_dask_matrix(X)
    n_rows, d = arr.shape
    if n_rows == 0 or d == 0:
        est._plan(n_rows, d, names if is_frame else None)  # raises the empty-table error
    # one pass over the data: non-finite counts and the range of every column
    finite = da.isfinite(arr)
    bad, lo, hi = dask.compute(
        (~finite).sum(axis=0), da.nanmin(arr, axis=0), da.nanmax(arr, axis=0)
    )
    if bad.any():
        listed = ", ".join(f"{names[i]} ({int(c)} rows)" for i, c in enumerate(bad) if c)
        raise AnomalyError(
            f"NaN or infinite values in feature columns: {listed}. Fill them, filter those "
            "rows in the query, or pass drop_invalid=True to score_catalog to skip them"
        )
    est._plan(n_rows, d, names if is_frame else None)
    warn_constant_columns(np.vstack([lo, hi]), names, (bad, lo, hi))
    k = est.extension_level_ + 1
    plans = [
        _forest.draw_sample(seed, n_rows, est.max_samples_)
        for seed in _forest.tree_seeds(est.seed_, est.n_estimators)
    ]
    union = np.unique(np.concatenate([idx for _, idx in plans]))
    sample = arr[union]  # one small gather from the partitions
    if n_batches is None:
        client = _client()
        workers = len(client.scheduler_info()["workers"]) if client is not None else 2
        n_batches = max(1, min(est.n_estimators, 4 * workers))
    bounds = np.linspace(0, len(plans), n_batches + 1).astype(int)
    sample_d = sample.to_delayed().ravel()[0] if sample.npartitions == 1 else (
        dask.delayed(np.concatenate)(list(sample.to_delayed().ravel()))
    )
    grow = dask.delayed(_grow_batch, pure=True)
    batches = [
        grow(sample_d, [(rng, np.searchsorted(union, idx)) for rng, idx in plans[a:b]],
             est.max_depth_, k)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        if b > a
    ]
    trees = [t for batch in dask.compute(*batches) for t in batch]
    forest = _forest.Forest.from_trees(trees, d, est.max_samples_)
    est.forest_ = forest
    scores = None
    if est.contamination != "auto":
        scores = score_dask(est, arr).compute()
    est._finish(forest, scores)
    return est


def _score_block(block: np.ndarray, forest: _forest.Forest, names: list[str]) -> np.ndarray:
    check_columns(block, forest.n_features)
    check_finite(block, names)
    return forest.scores(block)


def _score_frame(part: Any, forest: _forest.Forest, names: list[str]) -> Any:
    import pandas as pd

    x = np.ascontiguousarray(part[names].to_numpy(dtype=np.float64))
    return pd.Series(_score_block(x, forest, names), index=part.index, name="anomaly_score")


_scattered: dict[tuple[int, str], Any] = {}


def shared_forest(forest: _forest.Forest) -> Any:
    """The forest as the workers see it: scattered once to every worker when a distributed
    client is active (and reused by later scoring calls), else a single graph node."""
    client = _client()
    if client is None:
        return dask.delayed(forest, pure=True)
    key = (id(forest), str(client.id))
    future = _scattered.get(key)
    if future is None or future.status != "finished":
        future = client.scatter(forest, broadcast=True, hash=False)
        if key not in _scattered:
            weakref.finalize(forest, _scattered.pop, key, None)
        _scattered[key] = future
    return future


def score_dask(est: DaskFittable, X: Any) -> Any:
    """Lazy scores of a dask array (a dask array) or DataFrame (a dask Series)."""
    forest = est.forest_
    names = list(getattr(est, "feature_names_in_", [])) or None
    shared = shared_forest(forest)
    if hasattr(X, "map_partitions"):
        cols = names or [str(c) for c in X.columns]
        missing = [c for c in cols if c not in [str(c) for c in X.columns]]
        if missing:
            raise AnomalyError(
                f"columns used in the fit are missing: {', '.join(missing)} "
                f"(the fit used: {', '.join(cols)})"
            )
        if len(cols) != forest.n_features:
            check_columns(np.empty((0, len(cols))), forest.n_features)
        return X.map_partitions(_score_frame, shared, cols, meta=("anomaly_score", "f8"))
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise AnomalyError("expected a 2-D dask array or a dask DataFrame to score")
    check_columns(np.empty((0, X.shape[1])), forest.n_features)
    arr = X.astype(np.float64).rechunk({1: -1})
    cols = names or [f"x{i}" for i in range(arr.shape[1])]
    return da.map_blocks(
        _score_block, arr, shared, cols, drop_axis=1, dtype=np.float64
    )

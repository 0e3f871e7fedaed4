"""Checks on the features handed to the forest, with messages that say what to do."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from deslab.errors import AnomalyError


class AnomalyWarning(UserWarning):
    """The forest ran, but on something other than what was asked (fewer rows, constant columns)."""


def feature_matrix(x: Any, names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``x`` as a C-contiguous float64 matrix and the names of its columns.

    Accepts a 2-D array, a pandas DataFrame, an astropy Table or a structured array.
    """
    if hasattr(x, "colnames") and hasattr(x, "columns"):  # astropy Table
        names = list(x.colnames) if names is None else names
        cols = []
        for c in names:
            col = np.ma.asarray(x[c])
            if col.dtype.kind not in "biuf" or col.ndim != 1:
                raise AnomalyError(
                    f"feature column {c!r} is not a numeric scalar column ({col.dtype}); "
                    "choose numeric columns"
                )
            # masked (missing) values become NaN, so the checks below name their column
            cols.append(np.ma.filled(col.astype(np.float64), np.nan))
        arr = np.column_stack(cols) if cols else np.empty((len(x), 0))
    elif hasattr(x, "columns") and hasattr(x, "to_numpy"):  # pandas DataFrame
        names = [str(c) for c in x.columns] if names is None else names
        arr = x[names].to_numpy() if names != [str(c) for c in x.columns] else x.to_numpy()
    elif isinstance(x, np.ndarray) and x.dtype.names:
        names = list(x.dtype.names) if names is None else names
        arr = np.column_stack([x[c] for c in names])
    else:
        arr = np.asarray(x)
        if arr.ndim == 1:
            raise AnomalyError(
                "features must be 2-D (rows x columns); got a 1-D array of "
                f"{arr.shape[0]} values: use x.reshape(-1, 1) for a single feature"
            )
        if arr.ndim != 2:
            raise AnomalyError(f"features must be 2-D (rows x columns); got shape {arr.shape}")
        names = [f"x{i}" for i in range(arr.shape[1])] if names is None else names
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise AnomalyError(
                "features must be numeric; convert or drop the non-numeric columns "
                f"(columns: {', '.join(names)})"
            ) from None
    if np.ma.isMaskedArray(arr):
        arr = arr.filled(np.nan)
    return np.ascontiguousarray(arr, dtype=np.float64), list(names)


def check_nonempty(x: np.ndarray, names: list[str]) -> None:
    if x.shape[1] == 0:
        raise AnomalyError("no feature columns were given: pass at least one numeric column")
    if x.shape[0] == 0:
        raise AnomalyError(
            "the table is empty (0 rows): check the query or the selection before scoring"
        )


def column_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: how many values are NaN or infinite, and the smallest and largest others."""
    from deslab.anomaly.kernels import column_stats as stats

    return stats(np.ascontiguousarray(x, dtype=np.float64))


def nonfinite_columns(x: np.ndarray, names: list[str],
                      stats: tuple | None = None) -> dict[str, int]:
    """Columns holding NaN or infinite values, with how many rows each."""
    counts = (stats or column_stats(x))[0]
    return {names[i]: int(c) for i, c in enumerate(counts) if c}


def check_finite(x: np.ndarray, names: list[str], stats: tuple | None = None) -> None:
    bad = nonfinite_columns(x, names, stats)
    if bad:
        listed = ", ".join(f"{c} ({n} rows)" for c, n in bad.items())
        raise AnomalyError(
            f"NaN or infinite values in feature columns: {listed}. Fill them, filter those "
            "rows in the query, or pass drop_invalid=True to score_catalog to skip them"
        )


def check_columns(x: np.ndarray, n_features: int) -> None:
    if x.shape[1] != n_features:
        raise AnomalyError(
            f"the forest was fitted on {n_features} feature columns but got {x.shape[1]}: "
            "score with the same columns, in the same order, as the fit"
        )


def warn_constant_columns(x: np.ndarray, names: list[str],
                          stats: tuple | None = None) -> list[str]:
    """Warn about columns with a single value; fail if every column is constant."""
    _, lo, hi = stats or column_stats(x)
    const = [names[i] for i in range(len(names)) if lo[i] >= hi[i]]
    if const and len(const) == x.shape[1]:
        raise AnomalyError(
            f"every feature column is constant ({', '.join(const)}): there is nothing to "
            "isolate; choose columns that vary across rows"
        )
    if const:
        warnings.warn(
            f"constant feature columns carry no information and were kept: {', '.join(const)}",
            AnomalyWarning,
            stacklevel=3,
        )
    return const


def check_extension_level(level: int, n_features: int) -> int:
    if level is None:
        return n_features - 1
    if not isinstance(level, (int, np.integer)) or isinstance(level, bool):
        raise AnomalyError(f"extension_level must be an integer, got {level!r}")
    if not 0 <= level <= n_features - 1:
        raise AnomalyError(
            f"extension_level={level} is out of range for {n_features} features: use an "
            f"integer from 0 (standard Isolation Forest) to {n_features - 1} (fully extended)"
        )
    return int(level)

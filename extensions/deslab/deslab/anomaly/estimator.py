"""``ExtendedIsolationForest``: a scikit-learn style estimator over the compiled forest."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np

from deslab.anomaly import forest as _forest
from deslab.anomaly.validation import (
    AnomalyWarning,
    check_columns,
    check_extension_level,
    check_finite,
    check_nonempty,
    column_stats,
    feature_matrix,
    warn_constant_columns,
)
from deslab.errors import AnomalyError

_PARAMS = (
    "n_estimators",
    "max_samples",
    "extension_level",
    "max_depth",
    "contamination",
    "random_state",
)


def is_dask_collection(x: Any) -> bool:
    return hasattr(x, "__dask_graph__") and type(x).__module__.startswith("dask")


class ExtendedIsolationForest:
    """Extended Isolation Forest (Hariri, Carrasco Kind & Brunner), faithful to PyPI ``eif``.

    Each tree isolates points with random hyperplanes: the normal has N(0, 1) components of
    which ``d - extension_level - 1`` are zero, the plane passes through a point drawn
    uniformly in the node's bounding box, and a tree stops at ``max_depth`` or at one point;
    a leaf holding ``n > 1`` sample points adds ``c(n)`` to the path length.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees.
    max_samples : int, default 256
        Rows drawn (without replacement) to grow each tree, ``psi``. When the data has fewer
        rows, every tree uses all of them and an :class:`AnomalyWarning` says so.
    extension_level : int or None, default None
        0 (the standard Isolation Forest, axis-parallel cuts) to ``d - 1``; ``None`` means
        ``d - 1``, the fully extended forest.
    max_depth : int or None, default None
        Depth limit of the trees; ``None`` means ``ceil(log2(psi))`` as in the reference.
    contamination : "auto" or float, default "auto"
        Share of anomalies expected in the training data; sets the score threshold of
        :meth:`predict`. ``"auto"`` uses the score 0.5.
    random_state : int, numpy Generator or None
        Seed. The same integer grows the same forest, and gives the same scores, on any
        machine and whether or not the fit runs on Dask.

    Attributes
    ----------
    forest_ : deslab.anomaly.forest.Forest
        The fitted trees as flat arrays.
    n_features_in_, feature_names_in_, max_samples_, extension_level_, max_depth_, seed_,
    threshold_
        What the fit used (``seed_`` is the integer seed, drawn when ``random_state=None``).
    """

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 256,
        extension_level: int | None = None,
        max_depth: int | None = None,
        contamination: str | float = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.extension_level = extension_level
        self.max_depth = max_depth
        self.contamination = contamination
        self.random_state = random_state

    # -- scikit-learn protocol -----------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as scikit-learn's ``clone`` expects."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> ExtendedIsolationForest:
        """Set constructor parameters; unknown names raise with the list of valid ones."""
        for name, value in params.items():
            if name not in _PARAMS:
                raise AnomalyError(
                    f"unknown parameter {name!r}; valid parameters: {', '.join(_PARAMS)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = ExtendedIsolationForest().get_params()
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items() if v is not defaults[k]
            and v != defaults[k]
        ]
        return f"ExtendedIsolationForest({', '.join(changed)})"

    # -- fitting -------------------------------------------------------------------------
    def _check_params(self) -> None:
        if not isinstance(self.n_estimators, Integral) or self.n_estimators < 1:
            raise AnomalyError(
                f"n_estimators must be a positive integer, got {self.n_estimators!r}"
            )
        if not isinstance(self.max_samples, Integral) or self.max_samples < 2:
            raise AnomalyError(
                f"max_samples must be an integer of at least 2, got {self.max_samples!r}"
            )
        if self.max_depth is not None and (
            not isinstance(self.max_depth, Integral) or self.max_depth < 1
        ):
            raise AnomalyError(
                f"max_depth must be a positive integer or None, got {self.max_depth!r}"
            )
        c = self.contamination
        if not (c == "auto" or (isinstance(c, Real) and 0.0 < c <= 0.5)):
            raise AnomalyError(
                f"contamination must be 'auto' or a fraction in (0, 0.5], got {c!r}"
            )

    def _seed(self) -> int:
        rs = self.random_state
        if rs is None:
            return int(np.random.SeedSequence().entropy)
        if isinstance(rs, Integral) and not isinstance(rs, bool) and rs >= 0:
            return int(rs)
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(0, 2**63 - 1))
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(0, 2**31 - 1))
        raise AnomalyError(
            f"random_state must be a non-negative integer, a numpy Generator or None, got {rs!r}"
        )

    def _plan(self, n_rows: int, n_features: int, names: list[str] | None) -> None:
        """Fix everything the trees need before growing them (shared with the Dask fit)."""
        self._check_params()
        if n_features == 0:
            raise AnomalyError("no feature columns were given: pass at least one numeric column")
        if n_rows == 0:
            raise AnomalyError(
                "the table is empty (0 rows): check the query or the selection before fitting"
            )
        if n_rows < 2:
            raise AnomalyError("a forest needs at least 2 rows to fit; got 1")
        self.extension_level_ = check_extension_level(self.extension_level, n_features)
        psi = int(self.max_samples)
        if psi > n_rows:
            warnings.warn(
                f"max_samples={psi} is more than the {n_rows} rows given: every tree is grown "
                f"from all {n_rows} rows",
                AnomalyWarning,
                stacklevel=3,
            )
            psi = n_rows
        self.max_samples_ = psi
        self.max_depth_ = (
            int(self.max_depth) if self.max_depth is not None else _forest.default_depth(psi)
        )
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = np.array(names, dtype=object)
        self.seed_ = self._seed()

    def _finish(self, forest: _forest.Forest, train_scores: Any = None) -> None:
        self.forest_ = forest
        if self.contamination == "auto":
            self.threshold_ = 0.5
        else:
            self.threshold_ = float(np.quantile(train_scores, 1.0 - self.contamination))

    def fit(self, X: Any, y: Any = None) -> ExtendedIsolationForest:
        """Grow the forest on ``X`` (array, DataFrame, astropy Table, or a Dask collection).

        Raises
        ------
        AnomalyError
            NaN or infinite values (the message names the columns), an empty table, one row,
            an extension level out of range, every column constant, or bad parameters.
        """
        if is_dask_collection(X):
            from deslab.anomaly.distributed import fit_dask

            return fit_dask(self, X)
        x, names = feature_matrix(X)
        check_nonempty(x, names)
        stats = column_stats(x)
        check_finite(x, names, stats)
        named = not isinstance(X, np.ndarray) or X.dtype.names is not None
        self._plan(x.shape[0], x.shape[1], names if named else None)
        warn_constant_columns(x, names, stats)
        k = self.extension_level_ + 1
        trees = []
        for seed in _forest.tree_seeds(self.seed_, self.n_estimators):
            rng, idx = _forest.draw_sample(seed, x.shape[0], self.max_samples_)
            trees.append(_forest.grow(x[idx], rng, self.max_depth_, k))
        forest = _forest.Forest.from_trees(trees, x.shape[1], self.max_samples_)
        self._finish(forest, None if self.contamination == "auto" else forest.scores(x))
        return self

    # -- scoring -------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "forest_"):
            raise AnomalyError(
                "this ExtendedIsolationForest is not fitted yet: call fit(X) before scoring"
            )

    def _matrix(self, X: Any) -> np.ndarray:
        names = None
        if hasattr(self, "feature_names_in_") and (
            hasattr(X, "colnames") or hasattr(X, "columns") or getattr(X, "dtype", None)
            is not None and X.dtype.names
        ):
            names = list(self.feature_names_in_)
            have = list(X.colnames) if hasattr(X, "colnames") else (
                [str(c) for c in X.columns] if hasattr(X, "columns") else list(X.dtype.names)
            )
            missing = [n for n in names if n not in have]
            if missing:
                raise AnomalyError(
                    f"columns used in the fit are missing: {', '.join(missing)} "
                    f"(the fit used: {', '.join(names)})"
                )
        x, cols = feature_matrix(X, names)
        check_columns(x, self.n_features_in_)
        check_finite(x, cols)
        return x

    def path_length_sums(self, X: Any) -> np.ndarray:
        """Sum over the whole forest of each row's path length (the score's raw material)."""
        self._check_fitted()
        return self.forest_.path_length_sums(self._matrix(X))

    def score_samples(self, X: Any) -> Any:
        """Anomaly score ``s = 2 ** (-E[h(x)] / c(psi))`` in (0, 1]; higher is more anomalous.

        A Dask array or DataFrame gives a lazy Dask array or Series, computed on the workers.
        """
        self._check_fitted()
        if is_dask_collection(X):
            from deslab.anomaly.distributed import score_dask

            return score_dask(self, X)
        return self.forest_.scores(self._matrix(X))

    def decision_function(self, X: Any) -> Any:
        """``threshold_ - score``: negative for anomalies, as in scikit-learn."""
        return self.threshold_ - self.score_samples(X)

    def predict(self, X: Any) -> Any:
        """-1 for anomalies (score above ``threshold_``), 1 for the rest."""
        d = self.decision_function(X)
        if is_dask_collection(d):
            return d.map_blocks(_labels, dtype=np.int64) if hasattr(d, "chunks") else (
                d.map_partitions(_labels, meta=(d.name, "i8"))
            )
        return _labels(d)

    def fit_predict(self, X: Any, y: Any = None) -> Any:
        return self.fit(X).predict(X)


def _labels(decision: Any) -> Any:
    out = np.where(np.asarray(decision) < 0, -1, 1)
    if hasattr(decision, "index") and hasattr(decision, "to_numpy"):
        return type(decision)(out, index=decision.index, name=decision.name)
    return out

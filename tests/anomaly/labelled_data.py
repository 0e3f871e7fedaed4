"""Small labelled data sets (inliers 0, planted anomalies 1) shared by the anomaly tests."""

from __future__ import annotations

import numpy as np

NAMES = ("blob3", "ellipse5", "twoblobs4", "student2", "blob10")


def labelled(name: str, seed: int = 0, n: int = 1000, na: int = 20):
    """``(x, y)``: ``n`` inliers then ``na`` anomalies."""
    rng = np.random.default_rng(seed)
    if name == "blob3":
        x, a = rng.normal(size=(n, 3)), rng.uniform(-5, 5, size=(na, 3))
    elif name == "ellipse5":
        cov = np.full((5, 5), 0.8) + 0.2 * np.eye(5)
        x, a = rng.multivariate_normal(np.zeros(5), cov, n), rng.uniform(-4, 4, size=(na, 5))
    elif name == "twoblobs4":
        x = np.vstack([rng.normal(size=(n // 2, 4)) + 3, rng.normal(size=(n - n // 2, 4)) - 3])
        a = rng.uniform(-6, 6, size=(na, 4))
    elif name == "student2":
        x, a = rng.standard_t(4, size=(n, 2)), rng.uniform(-10, 10, size=(na, 2))
    elif name == "blob10":
        x, a = rng.normal(size=(n, 10)), rng.normal(size=(na, 10)) * 3
    else:
        raise KeyError(name)
    return np.vstack([x, a]), np.r_[np.zeros(n), np.ones(na)]

"""A fitted forest as flat arrays, and the deterministic recipe that grows each tree.

Tree ``i`` of a forest with seed ``s`` is grown from ``numpy.random.Generator(PCG64(c_i))``
where ``c_i`` is the ``i``-th child of ``SeedSequence(s)``: the same generator first draws the
tree's sample of row indices, then every split. Any process (the notebook, a Dask worker)
that grows tree ``i`` from the same rows therefore grows the same tree, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from deslab.anomaly import kernels


def tree_seeds(seed: int, n_estimators: int) -> list[np.random.SeedSequence]:
    """The per-tree seed sequences of a forest seeded with ``seed``."""
    return np.random.SeedSequence(seed).spawn(n_estimators)


def default_depth(psi: int) -> int:
    """The reference's depth limit: ``ceil(log2(psi))``."""
    return max(1, int(math.ceil(math.log2(psi))))


def draw_sample(seed: np.random.SeedSequence, n_rows: int, psi: int):
    """The generator of one tree and the sorted row indices of its sample."""
    rng = np.random.Generator(np.random.PCG64(seed))
    if psi >= n_rows:
        return rng, np.arange(n_rows, dtype=np.int64)
    idx = rng.choice(n_rows, size=psi, replace=False, shuffle=False)
    idx.sort()
    return rng, idx.astype(np.int64)


def grow(sample: np.ndarray, rng: np.random.Generator, limit: int, k: int) -> tuple:
    """Grow one tree from its sample (rows of float64 features)."""
    return kernels.grow_tree(np.ascontiguousarray(sample, dtype=np.float64), rng, limit, k)


@dataclass
class Forest:
    """The nodes of all trees, concatenated; ``left`` and ``roots`` index the whole forest.

    Attributes
    ----------
    feat, weight : (n_nodes, k) arrays
        Features with a non-zero normal component and those components.
    thresh : (n_nodes,) array
        ``p . n`` of each split (``+inf`` at leaves).
    left : (n_nodes,) array
        Index of the left child (the right one follows it); a leaf points to itself.
    value : (n_nodes,) array
        Path length of a point ending at the leaf, ``depth + c(size)``.
    size : (n_nodes,) array
        Number of sample points that reached the node.
    roots, depths : (n_trees,) arrays
        First node and deepest level of each tree.
    n_features, psi : int
        Features and sample size the forest was grown with.
    """

    feat: np.ndarray
    weight: np.ndarray
    thresh: np.ndarray
    left: np.ndarray
    value: np.ndarray
    size: np.ndarray
    roots: np.ndarray
    depths: np.ndarray
    n_features: int
    psi: int
    c_psi: float = field(init=False)

    plane: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.c_psi = float(kernels.c_factor(self.psi))
        # normal components and threshold side by side: one node is one short row to read
        self.plane = np.ascontiguousarray(np.hstack([self.weight, self.thresh[:, None]]))

    @classmethod
    def from_trees(cls, trees: list[tuple], n_features: int, psi: int) -> Forest:
        offsets = np.cumsum([0] + [len(t[2]) for t in trees])
        left = np.concatenate(
            [t[3].astype(np.int64) + o for t, o in zip(trees, offsets[:-1], strict=True)]
        )
        return cls(
            feat=np.concatenate([t[0] for t in trees]),
            weight=np.ascontiguousarray(np.concatenate([t[1] for t in trees])),
            thresh=np.concatenate([t[2] for t in trees]),
            left=left,
            value=np.concatenate([t[4] for t in trees]),
            size=np.concatenate([t[5] for t in trees]),
            roots=offsets[:-1].astype(np.int64),
            depths=np.array([t[6] for t in trees], dtype=np.int64),
            n_features=n_features,
            psi=psi,
        )

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    def path_length_sums(self, x: np.ndarray) -> np.ndarray:
        """Sum over all trees (in tree order) of the path length of each row of ``x``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros(x.shape[0], dtype=np.float64)
        if x.shape[0]:
            kernels.path_length_sums(
                x, self.feat, self.plane, self.left, self.value, self.roots, self.depths, out
            )
        return out

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Anomaly scores ``2 ** (-E[h(x)] / c(psi))``, as the reference computes them."""
        return self.scores_from_sums(self.path_length_sums(x))

    def scores_from_sums(self, sums: np.ndarray) -> np.ndarray:
        return np.power(2.0, -(sums / self.n_trees) / self.c_psi)

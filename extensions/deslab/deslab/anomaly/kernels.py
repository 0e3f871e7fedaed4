"""Compiled (numba) kernels of the Extended Isolation Forest: grow one tree, score a forest.

The layout follows the reference implementation (Hariri, Carrasco Kind & Brunner; PyPI ``eif``):
a node splits its points with a hyperplane of random normal ``n`` (N(0, 1) components, all
but ``k = extension_level + 1`` of them zero) through a point ``p`` drawn uniformly in the
node's bounding box; a point goes left when ``x . n < p . n``. Only the ``k`` non-zero
components are stored, in increasing feature order, so ``x . n`` sums the same products in
the same order as the reference's full inner product (the zero terms add nothing) and the
threshold ``p . n`` is kept as one float per node.

Dot products ``x . n`` and ``p . n`` are summed term by term in increasing feature order when
``k < WIDE``; for ``k >= WIDE`` (many non-zero components) the terms go round-robin into four
partial sums, added as ``(s0 + s1) + (s2 + s3)`` before the remaining ``k mod 4`` terms, which
shortens the chain of dependent additions. The order is fixed by ``k`` alone, and the code is
compiled without fast-math, so growing and scoring agree and results do not depend on the
machine.

Nodes of a tree are stored breadth first with the two children of a node side by side
(``right = left + 1``), so a split is ``node = left[node] + (x . n >= p . n)``. A leaf points
to itself with a zero normal and an infinite threshold, which lets the scorer walk every point
for a fixed number of levels without a branch; the leaf holds its path length
``depth + c(size)`` (``c(size)`` only for ``size > 1``, as in the reference).
"""

from __future__ import annotations

import math

import numba
import numpy as np

EULER_CONSTANT = 0.5772156649  # the value the reference implementation uses
WIDE = 16  # from this many non-zero components on, dot products use four partial sums


@numba.njit(cache=True, nogil=True, inline="always")
def reduce_terms(t, k):
    """Sum the ``k`` products in ``t`` by the fixed rule of this module (see above)."""
    if k < WIDE:
        s = 0.0
        for j in range(k):
            s += t[j]
        return s
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    j = 0
    while j + 4 <= k:
        s0 += t[j]
        s1 += t[j + 1]
        s2 += t[j + 2]
        s3 += t[j + 3]
        j += 4
    s = (s0 + s1) + (s2 + s3)
    while j < k:
        s += t[j]
        j += 1
    return s


@numba.njit(cache=True, nogil=True)
def c_factor(n: int) -> float:
    """Average path length of an unsuccessful search in a binary search tree of ``n`` points."""
    nd = float(n)
    return 2.0 * (math.log(nd - 1.0) + EULER_CONSTANT) - 2.0 * (nd - 1.0) / nd


@numba.njit(cache=True, nogil=True)
def max_nodes(psi: int, limit: int) -> int:
    """An upper bound on the number of nodes of a tree grown from ``psi`` points."""
    bound = 0
    width = 1
    for _ in range(limit + 1):
        bound += min(width, 2 * psi)
        width *= 2
        if width > 4 * psi:
            width = 4 * psi
    return bound


@numba.njit(cache=True, nogil=True)
def grow_tree(xs, rng, limit, k):
    """Grow one tree from the sample ``xs`` (psi x d, float64), drawing from ``rng``.

    Returns ``(feat, weight, thresh, left, value, size, depth)`` trimmed to the node count;
    ``left`` holds indices local to the tree.
    """
    psi, d = xs.shape
    cap = max_nodes(psi, limit)
    feat = np.zeros((cap, k), dtype=np.int32)
    weight = np.zeros((cap, k), dtype=np.float64)
    thresh = np.full(cap, np.inf, dtype=np.float64)
    left = np.zeros(cap, dtype=np.int32)
    value = np.zeros(cap, dtype=np.float64)
    size = np.zeros(cap, dtype=np.int32)
    start = np.zeros(cap, dtype=np.int32)
    level = np.zeros(cap, dtype=np.int32)
    perm = np.arange(psi).astype(np.int32)
    dots = np.empty(psi, dtype=np.float64)
    tmp = np.empty(psi, dtype=np.int32)
    dims = np.arange(d).astype(np.int32)
    chosen = np.empty(k, dtype=np.int32)
    normal = np.empty(k, dtype=np.float64)
    terms = np.empty(k, dtype=np.float64)

    size[0] = psi
    n_nodes = 1
    depth = 0
    node = 0
    while node < n_nodes:  # breadth first: children are appended after their parent
        m = size[node]
        s0 = start[node]
        e = level[node]
        if e > depth:
            depth = e
        if e >= limit or m <= 1:
            left[node] = node
            value[node] = e + c_factor(m) if m > 1 else float(e)
            node += 1
            continue
        # the k features with a non-zero normal component, in increasing order
        if k == d:
            for j in range(d):
                chosen[j] = j
        else:
            for j in range(d):
                dims[j] = j
            for j in range(k):  # partial Fisher-Yates draw without replacement
                r = j + rng.integers(0, d - j)
                t = dims[j]
                dims[j] = dims[r]
                dims[r] = t
            for j in range(k):
                chosen[j] = dims[j]
            chosen.sort()
        for j in range(k):
            f = chosen[j]
            lo = xs[perm[s0], f]
            hi = lo
            for i in range(s0 + 1, s0 + m):
                v = xs[perm[i], f]
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
            nj = rng.normal()
            pj = lo + (hi - lo) * rng.random()
            normal[j] = nj
            terms[j] = pj * nj
        thr = reduce_terms(terms, k)
        # partition the node's points: x . n < p . n goes left
        n_left = 0
        for i in range(s0, s0 + m):
            for j in range(k):
                terms[j] = xs[perm[i], chosen[j]] * normal[j]
            s = reduce_terms(terms, k)
            dots[i - s0] = s
            if s < thr:
                n_left += 1
        a = 0
        b = n_left
        for i in range(s0, s0 + m):
            if dots[i - s0] < thr:
                tmp[a] = perm[i]
                a += 1
            else:
                tmp[b] = perm[i]
                b += 1
        for i in range(m):
            perm[s0 + i] = tmp[i]
        for j in range(k):
            feat[node, j] = chosen[j]
            weight[node, j] = normal[j]
        thresh[node] = thr
        left[node] = n_nodes
        size[n_nodes] = n_left
        start[n_nodes] = s0
        level[n_nodes] = e + 1
        size[n_nodes + 1] = m - n_left
        start[n_nodes + 1] = s0 + n_left
        level[n_nodes + 1] = e + 1
        n_nodes += 2
        node += 1
    return (
        feat[:n_nodes].copy(),
        weight[:n_nodes].copy(),
        thresh[:n_nodes].copy(),
        left[:n_nodes].copy(),
        value[:n_nodes].copy(),
        size[:n_nodes].copy(),
        depth,
    )


_BLOCK = 512  # points walked through a tree together: its nodes stay in cache


@numba.njit(cache=True, nogil=True)
def path_length_sums(x, feat, plane, left, value, roots, depths, out):
    """Add, for each row of ``x``, the path lengths over all trees (in tree order) to ``out``.

    ``plane[node]`` holds the ``k`` non-zero normal components then the threshold ``p . n``;
    ``left`` holds global node indices; tree ``t`` starts at ``roots[t]`` and is walked for
    ``depths[t]`` levels (leaves point to themselves). A block of points goes through a tree
    together; each point's ``x . n`` is summed by the rule of :func:`reduce_terms`, as when
    the tree was grown, so the result does not depend on the block, the partition or the
    machine.
    """
    n, d = x.shape
    k = feat.shape[1]
    n_trees = roots.shape[0]
    nodes = np.empty(_BLOCK, dtype=np.int64)
    acc = np.empty(_BLOCK, dtype=np.float64)
    dense = k == d
    for b in range(0, n, _BLOCK):
        nb = min(_BLOCK, n - b)
        for p in range(nb):
            acc[p] = out[b + p]
        for t in range(n_trees):
            r = roots[t]
            for p in range(nb):
                nodes[p] = r
            for _ in range(depths[t]):
                # the rule of reduce_terms written out over x and plane: calling a shared
                # inline helper on row views measured 5-9% slower scoring
                if k >= WIDE:  # four partial sums, as reduce_terms
                    for p in range(nb):
                        nd = nodes[p]
                        i = b + p
                        s0 = 0.0
                        s1 = 0.0
                        s2 = 0.0
                        s3 = 0.0
                        j = 0
                        while j + 4 <= k:
                            s0 += x[i, feat[nd, j]] * plane[nd, j]
                            s1 += x[i, feat[nd, j + 1]] * plane[nd, j + 1]
                            s2 += x[i, feat[nd, j + 2]] * plane[nd, j + 2]
                            s3 += x[i, feat[nd, j + 3]] * plane[nd, j + 3]
                            j += 4
                        s = (s0 + s1) + (s2 + s3)
                        while j < k:
                            s += x[i, feat[nd, j]] * plane[nd, j]
                            j += 1
                        nodes[p] = left[nd] + (s >= plane[nd, k])
                elif dense:
                    for p in range(nb):
                        nd = nodes[p]
                        s = 0.0
                        for j in range(d):
                            s += x[b + p, j] * plane[nd, j]
                        nodes[p] = left[nd] + (s >= plane[nd, d])
                else:
                    for p in range(nb):
                        nd = nodes[p]
                        s = 0.0
                        for j in range(k):
                            s += x[b + p, feat[nd, j]] * plane[nd, j]
                        nodes[p] = left[nd] + (s >= plane[nd, k])
            for p in range(nb):
                acc[p] += value[nodes[p]]
        for p in range(nb):
            out[b + p] = acc[p]
    return out


@numba.njit(cache=True, nogil=True)
def column_stats(x):
    """One pass over ``x``: per column, the count of non-finite values and the finite range."""
    n, d = x.shape
    bad = np.zeros(d, dtype=np.int64)
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    for i in range(n):
        for j in range(d):
            v = x[i, j]
            if not np.isfinite(v):
                bad[j] += 1
            else:
                if v < lo[j]:
                    lo[j] = v
                if v > hi[j]:
                    hi[j] = v
    return bad, lo, hi

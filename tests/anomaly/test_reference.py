"""Our forest against the reference implementation (PyPI ``eif``) on the same data."""

from __future__ import annotations

import eif
import numpy as np
import pytest
from deslab.anomaly import ExtendedIsolationForest, kernels
from labelled_data import NAMES, labelled
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

CASES = []
for _name in NAMES:
    _d = labelled(_name, n=4)[0].shape[1]
    for _ext in sorted({0, _d // 2, _d - 1}):
        CASES.append((_name, _ext))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "ext"), CASES)
def test_same_answers_as_eif(name: str, ext: int) -> None:
    x, y = labelled(name)
    ref = eif.iForest(x, ntrees=1000, sample_size=256, ExtensionLevel=ext, seed=7)
    ref_scores = ref.compute_paths(X_in=x)
    ours = ExtendedIsolationForest(n_estimators=1000, extension_level=ext, random_state=7)
    scores = ours.fit(x).score_samples(x)
    assert ours.max_depth_ == ref.limit == 8
    assert abs(roc_auc_score(y, scores) - roc_auc_score(y, ref_scores)) <= 0.01
    assert spearmanr(scores, ref_scores)[0] >= 0.98
    # same scale, not only the same order: the mean score agrees closely
    assert abs(scores.mean() - ref_scores.mean()) < 0.01


def test_path_length_normalisation_matches_reference() -> None:
    # c(n) as the reference defines it (Euler's constant to 10 digits)
    for n in (2, 3, 10, 256, 1000):
        expected = 2.0 * (np.log(n - 1.0) + 0.5772156649) - 2.0 * (n - 1.0) / n
        assert kernels.c_factor(n) == pytest.approx(expected, rel=1e-15)


def test_tree_structure_follows_the_reference_rules() -> None:
    x, _ = labelled("blob3", n=500)
    model = ExtendedIsolationForest(n_estimators=20, extension_level=1, random_state=3).fit(x)
    f = model.forest_
    internal = f.thresh < np.inf
    # (d - extension_level - 1) of d components are zero: k = 2 stored, all non-zero
    assert f.feat.shape[1] == 2 and np.all(f.weight[internal] != 0)
    leaves = ~internal
    depth = np.zeros(len(f.thresh), dtype=int)
    for i in np.flatnonzero(internal):
        depth[f.left[i]] = depth[f.left[i] + 1] = depth[i] + 1
    # leaves: at the depth limit or with at most one point; value = depth + c(size) for size > 1
    assert np.all((depth[leaves] == model.max_depth_) | (f.size[leaves] <= 1))
    assert np.all(depth <= model.max_depth_)
    pairs = zip(depth[leaves], f.size[leaves], strict=True)
    expected = np.array([d + (kernels.c_factor(s) if s > 1 else 0.0) for d, s in pairs])
    np.testing.assert_array_equal(f.value[leaves], expected)
    # every split sends the node's points to its two children
    children = f.size[f.left[internal]] + f.size[f.left[internal] + 1]
    np.testing.assert_array_equal(children, f.size[internal])
    assert np.all(f.size[f.roots] == 256)


@pytest.mark.parametrize(("d", "ext"), [(3, 2), (6, 0), (20, 19), (40, 25)])
def test_scoring_routes_each_training_sample_as_the_growth_did(d: int, ext: int) -> None:
    # every tree's own sample, scored, lands in leaves holding exactly the sizes recorded
    # while growing: the scorer and the grower compute x . n the same way
    from deslab.anomaly import forest as F
    from deslab.anomaly.forest import Forest

    x = np.random.default_rng(d).standard_t(3, size=(3000, d))
    model = ExtendedIsolationForest(n_estimators=12, extension_level=ext, random_state=d).fit(x)
    f = model.forest_
    for t, seed in enumerate(F.tree_seeds(model.seed_, 12)):
        _, idx = F.draw_sample(seed, len(x), model.max_samples_)
        a, b = f.roots[t], (f.roots[t + 1] if t + 1 < f.n_trees else len(f.thresh))
        one = Forest(f.feat[a:b], f.weight[a:b], f.thresh[a:b], f.left[a:b] - a,
                     f.value[a:b], f.size[a:b], np.array([0]), f.depths[t:t + 1], d, 256)
        leaves = f.thresh[a:b] == np.inf
        expected = float(np.sum(f.size[a:b][leaves] * f.value[a:b][leaves]))
        assert one.path_length_sums(x[idx]).sum() == pytest.approx(expected, rel=1e-12)

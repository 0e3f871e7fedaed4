"""The estimator as a scikit-learn user meets it: parameters, determinism, pickling, predict."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from deslab.anomaly import ExtendedIsolationForest
from labelled_data import labelled
from sklearn.base import clone
from sklearn.metrics import roc_auc_score


@pytest.fixture(scope="module")
def blob():
    return labelled("blob3", n=2000)


def test_defaults_follow_the_issue(blob) -> None:
    x, y = blob
    model = ExtendedIsolationForest(random_state=0).fit(x)
    assert model.get_params() == {
        "n_estimators": 100, "max_samples": 256, "extension_level": None,
        "max_depth": None, "contamination": "auto", "random_state": 0,
    }
    assert model.extension_level_ == 2 and model.max_depth_ == 8 and model.max_samples_ == 256
    assert model.forest_.n_trees == 100
    s = model.score_samples(x)
    assert s.shape == (len(x),) and np.all((s > 0) & (s <= 1))
    assert roc_auc_score(y, s) > 0.95  # higher is more anomalous


def test_same_random_state_same_scores_different_state_different(blob) -> None:
    x, _ = blob
    a = ExtendedIsolationForest(random_state=11).fit(x).score_samples(x)
    b = ExtendedIsolationForest(random_state=11).fit(x).score_samples(x)
    c = ExtendedIsolationForest(random_state=12).fit(x).score_samples(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


GOLDEN = """
import numpy as np
from deslab.anomaly import ExtendedIsolationForest
x = np.random.default_rng(5).normal(size=(600, 4))
m = ExtendedIsolationForest(n_estimators=30, random_state=2024).fit(x)
f = m.forest_
print(len(f.size), int(f.size.sum()), int(f.feat.sum()), repr(float(m.score_samples(x[:3]).sum())))
"""


def test_scores_are_the_same_in_a_fresh_process_on_any_machine() -> None:
    # the seed fully determines the forest: tree shapes (integers) are pinned exactly to the
    # values of a reference run, and the scores to 1e-12
    out = subprocess.run(
        [sys.executable, "-c", GOLDEN], capture_output=True, text=True, check=True
    ).stdout.split()
    n_nodes, total_size, feat_sum, score_sum = out
    assert (int(n_nodes), int(total_size), int(feat_sum)) == PINNED[:3]
    assert float(score_sum) == pytest.approx(PINNED[3], rel=1e-12)


PINNED = (4246, 67759, 12648, 1.3163413398742918)  # from a reference run


def test_sklearn_protocol_clone_set_params_pickle(blob) -> None:
    x, _ = blob
    model = ExtendedIsolationForest(n_estimators=50, random_state=3)
    assert clone(model).get_params() == model.get_params()
    model.set_params(max_samples=128, extension_level=0)
    assert model.get_params()["max_samples"] == 128
    model.fit(x)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.score_samples(x), model.score_samples(x))
    assert "max_samples=128" in repr(model)
    with pytest.raises(ValueError, match="valid parameters: n_estimators"):
        model.set_params(n_trees=3)


def test_contamination_sets_the_threshold_of_predict(blob) -> None:
    x, y = blob
    model = ExtendedIsolationForest(contamination=0.01, random_state=1).fit(x)
    labels = model.predict(x)
    assert set(np.unique(labels)) == {-1, 1}
    assert abs((labels == -1).mean() - 0.01) < 0.003
    # most flagged rows are the planted anomalies
    assert y[labels == -1].mean() > 0.6
    d = model.decision_function(x)
    np.testing.assert_array_equal(labels, np.where(d < 0, -1, 1))
    auto = ExtendedIsolationForest(random_state=1).fit(x)
    assert auto.threshold_ == 0.5
    np.testing.assert_array_equal(auto.fit_predict(x), np.where(auto.score_samples(x) > 0.5, -1, 1))


def test_frames_and_tables_use_column_names(blob) -> None:
    x, _ = blob
    frame = pd.DataFrame(x, columns=["g_r", "r_i", "i_z"])
    model = ExtendedIsolationForest(random_state=4).fit(frame)
    assert list(model.feature_names_in_) == ["g_r", "r_i", "i_z"]
    expected = model.score_samples(x)
    # reordered columns and an astropy Table are matched by name
    np.testing.assert_array_equal(model.score_samples(frame[["i_z", "g_r", "r_i"]]), expected)
    np.testing.assert_array_equal(model.score_samples(Table.from_pandas(frame)), expected)
    with pytest.raises(ValueError, match="missing: i_z"):
        model.score_samples(frame[["g_r", "r_i"]])


def test_fitting_is_fast_and_reuses_the_compiled_code(tmp_path) -> None:
    code = (
        "import numpy as np\n"
        "from deslab.anomaly import ExtendedIsolationForest\n"
        "x = np.random.default_rng(0).normal(size=(1000, 3))\n"
        "ExtendedIsolationForest(n_estimators=5).fit(x).score_samples(x)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # fills the cache if needed
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**__import__("os").environ, "NUMBA_DEBUG_CACHE": "1"},
    )
    for kernel in ("grow_tree", "path_length_sums"):
        assert f"kernels.{kernel}" in run.stdout and "data loaded" in run.stdout
    assert "[cache] data saved" not in run.stdout


def test_public_names_after_a_bare_import_deslab() -> None:
    code = (
        "import deslab\n"
        "print(deslab.anomaly.ExtendedIsolationForest.__name__, deslab.anomaly.score_catalog"
        ".__name__, deslab.dask.cluster.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["ExtendedIsolationForest", "score_catalog", "cluster"]

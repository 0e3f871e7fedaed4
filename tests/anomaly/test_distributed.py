"""The forest on Dask: same trees and same scores as one process, even when a worker dies."""

from __future__ import annotations

import os
import signal
import time

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from deslab.anomaly import ExtendedIsolationForest
from deslab.errors import AnomalyError
from distributed import Client, LocalCluster, as_completed, get_task_stream
from labelled_data import labelled

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    ) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    x, _ = labelled("ellipse5", n=20000, na=100)
    ref = ExtendedIsolationForest(n_estimators=100, random_state=21).fit(x)
    return x, ref, ref.score_samples(x)


def same_forest(a, b) -> bool:
    fields = ("feat", "weight", "thresh", "left", "value", "size", "roots", "depths")
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)


def test_dask_array_fit_and_score_equal_single_process(client, data) -> None:
    x, ref, expected = data
    X = da.from_array(x, chunks=(3333, 5))
    model = ExtendedIsolationForest(n_estimators=100, random_state=21).fit(X)
    assert same_forest(model.forest_, ref.forest_)
    scores = model.score_samples(X)
    assert isinstance(scores, da.Array)
    np.testing.assert_array_equal(scores.compute(), expected)
    # the forest was scattered once, as one piece of data, and the next call reuses it (how
    # many workers keep a copy afterwards is up to Dask's active memory manager, which drops
    # replicas no task waits for)
    np.testing.assert_array_equal(model.score_samples(X[:5000]).compute(), expected[:5000])
    held = {k: v for k, v in client.who_has().items() if str(k).startswith("Forest-")}
    assert len(held) == 1 and all(len(workers) >= 1 for workers in held.values())
    # a single-process model scores the dask array too
    np.testing.assert_array_equal(ref.score_samples(X.rechunk((7000, 5))).compute(), expected)


def test_trees_are_grown_in_parallel_on_the_workers(client, data) -> None:
    x, ref, _ = data
    X = da.from_array(x, chunks=(5000, 5))
    with get_task_stream(client) as stream:
        model = ExtendedIsolationForest(n_estimators=100, random_state=21).fit(X)
    grown = [t for t in stream.data if "_grow_batch" in str(t["key"])]
    assert len(grown) == 8  # 4 batches per worker
    assert len({t["worker"] for t in grown}) == 2
    assert same_forest(model.forest_, ref.forest_)


def test_dask_dataframe_fit_score_predict(client, data) -> None:
    x, _, expected = data
    frame = pd.DataFrame(x, columns=["g", "r", "i", "z", "y"])
    ddf = dd.from_pandas(frame, npartitions=6)
    local = ExtendedIsolationForest(random_state=21, contamination=0.005).fit(frame)
    model = ExtendedIsolationForest(random_state=21, contamination=0.005).fit(ddf)
    assert model.threshold_ == local.threshold_
    assert list(model.feature_names_in_) == ["g", "r", "i", "z", "y"]
    scores = model.score_samples(ddf).compute()
    np.testing.assert_array_equal(scores.to_numpy(), expected)
    assert (scores.index == frame.index).all()
    labels = model.predict(ddf).compute()
    np.testing.assert_array_equal(labels.to_numpy(), local.predict(frame))


def test_nan_in_a_dask_array_names_the_column(client) -> None:
    x = np.random.default_rng(1).normal(size=(2000, 3))
    x[17, 2] = np.nan
    with pytest.raises(AnomalyError, match=r"x2 \(1 rows\)"):
        ExtendedIsolationForest().fit(da.from_array(x, chunks=500))


def _slow_copy(block: np.ndarray) -> np.ndarray:
    time.sleep(0.25)  # stands for reading a partition from storage
    return block.copy()


def test_scores_stay_equal_when_a_worker_is_killed_mid_scoring(client, data) -> None:
    x, ref, expected = data
    X = da.from_array(x, chunks=(1000, 5)).map_blocks(_slow_copy, dtype=float)
    scores = ref.score_samples(X)
    blocks = scores.to_delayed().ravel()
    futures = client.compute(list(blocks))
    pids = client.run(os.getpid)
    done = 0
    killed = None
    for _ in as_completed(futures):
        done += 1
        if done == 3:
            victim = sorted(pids)[0]
            killed = pids[victim]
            os.kill(killed, signal.SIGKILL)
            assert sum(f.done() for f in futures) < len(futures)
            break
    result = np.concatenate(client.gather(futures))
    np.testing.assert_array_equal(result, expected)
    # the killed process is gone and the workers carried on
    assert killed not in client.run(os.getpid).values()
    assert dask.compute(ref.score_samples(da.from_array(x[:10], chunks=5)))[0].shape == (10,)

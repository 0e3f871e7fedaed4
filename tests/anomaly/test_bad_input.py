"""Bad input gets a clear AnomalyError (or a warning when the forest can still run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from deslab.anomaly import AnomalyWarning, ExtendedIsolationForest
from deslab.errors import AnomalyError, DeslabError


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).normal(size=(500, 3))


def test_nan_and_inf_name_the_columns(x) -> None:
    frame = pd.DataFrame(x, columns=["mag_g", "mag_r", "mag_i"])
    frame.loc[3, "mag_r"] = np.nan
    frame.loc[[4, 5], "mag_i"] = np.inf
    with pytest.raises(AnomalyError, match=r"mag_r \(1 rows\), mag_i \(2 rows\)") as err:
        ExtendedIsolationForest().fit(frame)
    assert "mag_g" not in str(err.value) and "drop_invalid=True" in str(err.value)
    assert isinstance(err.value, DeslabError) and isinstance(err.value, ValueError)
    model = ExtendedIsolationForest(random_state=0).fit(x)
    with pytest.raises(AnomalyError, match="x1"):
        model.score_samples(np.where(np.arange(3) == 1, np.nan, x))


def test_different_number_of_columns_when_scoring(x) -> None:
    model = ExtendedIsolationForest(random_state=0).fit(x)
    with pytest.raises(AnomalyError, match="fitted on 3 feature columns but got 2"):
        model.score_samples(x[:, :2])


def test_fewer_rows_than_max_samples_uses_all_and_says_so(x) -> None:
    with pytest.warns(AnomalyWarning, match="max_samples=256 is more than the 100 rows"):
        model = ExtendedIsolationForest(random_state=0).fit(x[:100])
    assert model.max_samples_ == 100 and model.max_depth_ == 7
    assert np.all(model.forest_.size[model.forest_.roots] == 100)


def test_constant_columns(x) -> None:
    with_const = np.column_stack([x, np.full(len(x), 22.5)])
    with pytest.warns(AnomalyWarning, match="constant feature columns .*: x3"):
        model = ExtendedIsolationForest(random_state=0).fit(with_const)
    assert np.all(np.isfinite(model.score_samples(with_const)))
    with pytest.raises(AnomalyError, match="every feature column is constant"):
        ExtendedIsolationForest().fit(np.ones((50, 2)))


@pytest.mark.parametrize("level", [-1, 3, 2.5])
def test_extension_level_out_of_range_lists_the_valid_ones(x, level) -> None:
    with pytest.raises(AnomalyError, match="extension_level"):
        ExtendedIsolationForest(extension_level=level).fit(x)
    if level == 3:
        with pytest.raises(AnomalyError, match=r"from 0 \(standard Isolation Forest\) to 2"):
            ExtendedIsolationForest(extension_level=level).fit(x)


def test_empty_table_and_single_row(x) -> None:
    with pytest.raises(AnomalyError, match="empty"):
        ExtendedIsolationForest().fit(np.empty((0, 3)))
    with pytest.raises(AnomalyError, match="empty"):
        ExtendedIsolationForest().fit(pd.DataFrame({"a": [], "b": []}))
    with pytest.raises(AnomalyError, match="at least 2 rows"):
        ExtendedIsolationForest().fit(x[:1])
    with pytest.raises(AnomalyError, match="2-D"):
        ExtendedIsolationForest().fit(x[:, 0])


def test_bad_parameters_and_unfitted() -> None:
    with pytest.raises(AnomalyError, match="contamination"):
        ExtendedIsolationForest(contamination=0.9).fit(np.ones((10, 2)) * np.arange(10)[:, None])
    with pytest.raises(AnomalyError, match="not fitted yet"):
        ExtendedIsolationForest().score_samples(np.ones((3, 2)))
    with pytest.raises(AnomalyError, match="non-numeric"):
        ExtendedIsolationForest().fit(pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}))


def test_masked_values_in_a_table_count_as_missing(x) -> None:
    from astropy.table import MaskedColumn, Table

    t = Table({"a": x[:, 0], "b": MaskedColumn(x[:, 1], mask=np.arange(len(x)) == 7)})
    with pytest.raises(AnomalyError, match=r"b \(1 rows\)"):
        ExtendedIsolationForest().fit(t)
    with pytest.raises(AnomalyError, match="not a numeric scalar column"):
        ExtendedIsolationForest().fit(Table({"a": x[:, 0], "s": ["x"] * len(x)}))

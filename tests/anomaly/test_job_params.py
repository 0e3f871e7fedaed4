"""The job service's parameter check for ``anomaly`` jobs (hub side, no science imports)."""

from __future__ import annotations

import pytest
from deslab_hub.jobs import types


def test_anomaly_job_takes_sql_or_a_table_in_home() -> None:
    p = types.validate_anomaly({"sql": "SELECT 1", "max_depth": 10, "extension_level": 0})
    assert p["sql"] == "SELECT 1" and p["max_depth"] == 10 and p["extension_level"] == 0
    p = types.validate_anomaly({"table": "jobs/abc/stars.parquet", "columns": ["G_R"]})
    assert p["table"] == "jobs/abc/stars.parquet" and "sql" not in p


@pytest.mark.parametrize(("body", "message"), [
    ({"table": "/etc/passwd"}, "relative to your home"),
    ({"table": "../alice/x.fits"}, "relative to your home"),
    ({"table": "a.fits", "sql": "SELECT 1"}, "not both"),
    ({}, "'sql' is required"),
    ({"sql": "SELECT 1", "max_depth": 0}, "'max_depth' must be between 1 and 64"),
    ({"sql": "SELECT 1", "trees": 5}, "valid fields: .*n_estimators"),
])
def test_bad_anomaly_job_parameters(body, message) -> None:
    with pytest.raises(types.ParamError, match=message):
        types.validate_anomaly(body)

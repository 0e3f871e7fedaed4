"""The catalog workflow on the demo survey: score_catalog and the ``anomaly`` job task."""

from __future__ import annotations

import deslab
import numpy as np
import pytest
from astropy.table import Table
from deslab.anomaly import AnomalyWarning, score_catalog
from deslab.errors import AnomalyError
from deslab.jobs.tasks import anomaly as anomaly_task
from PIL import Image

COLOURS_SQL = """
SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_I,
       MAG_AUTO_G - MAG_AUTO_R AS G_R, MAG_AUTO_R - MAG_AUTO_I AS R_I,
       MAG_AUTO_I - MAG_AUTO_Z AS I_Z, MAG_AUTO_Z - MAG_AUTO_Y AS Z_Y
FROM DR2_MAIN
WHERE MAG_AUTO_I < 21.5 AND FLAGS_I < 4 AND MAG_AUTO_G < 99 AND MAG_AUTO_Y < 99
"""
COLOURS = ["G_R", "R_I", "I_Z", "Z_Y"]


@pytest.fixture
def planted(demo_env) -> set[int]:
    ids = deslab.query("SELECT COADD_OBJECT_ID FROM DEMO_PLANTED_ANOMALIES")["COADD_OBJECT_ID"]
    assert len(ids) > 0
    return {int(i) for i in ids}


def test_planted_anomalies_come_out_on_top(demo_env, planted) -> None:
    result = score_catalog(COLOURS_SQL, columns=[c.lower() for c in COLOURS], top=len(planted))
    n_rows = int(deslab.query(f"SELECT COUNT(*) AS N FROM ({COLOURS_SQL})")["N"][0])
    assert len(result.table) == n_rows  # every row comes back, with its score
    assert result.columns == COLOURS
    top_ids = {int(i) for i in result.top["COADD_OBJECT_ID"]}
    assert top_ids == planted
    scores = np.asarray(result.top["ANOMALY_SCORE"])
    assert np.all(np.diff(scores) <= 0)
    assert list(result.top["ANOMALY_RANK"]) == list(range(1, len(planted) + 1))
    assert "rows scored on G_R, R_I, I_Z, Z_Y" in repr(result)
    assert "<table" in result._repr_html_()


def test_nan_columns_named_or_rows_dropped_and_kept(demo_env) -> None:
    table = Table({"ID": np.arange(600), "A": np.random.default_rng(1).normal(size=600),
                   "B": np.random.default_rng(2).normal(size=600)})
    table["B"][[5, 9]] = np.nan
    with pytest.raises(AnomalyError, match=r"B \(2 rows\).*drop_invalid=True"):
        score_catalog(table, columns=["A", "B"])
    with pytest.warns(AnomalyWarning, match="skipped 2 of 600 rows .* in: B"):
        result = score_catalog(table, columns=["A", "B"], drop_invalid=True)
    assert len(result.table) == 600 and result.dropped == 2
    assert list(np.flatnonzero(result.table["ANOMALY_SCORE"].mask)) == [5, 9]
    assert result.table["ANOMALY_RANK"].mask.sum() == 2
    assert len(result.top) == 20 and not np.any(np.isin(result.top["ID"], [5, 9]))


def test_bad_requests_say_what_to_do(demo_env, tmp_path) -> None:
    with pytest.raises(AnomalyError, match="unknown feature columns: NOPE; the table has: "):
        score_catalog(COLOURS_SQL, columns=["G_R", "NOPE"])
    with pytest.raises(AnomalyError, match="empty"):
        score_catalog(COLOURS_SQL + " AND MAG_AUTO_I < 0", columns=COLOURS)
    with pytest.raises(AnomalyError, match="pandas DataFrame; got int"):
        score_catalog(42)
    with pytest.raises(AnomalyError, match="no such table file"):
        anomaly_task.run({"table": "missing.parquet"}, tmp_path, _no_progress)
    with pytest.raises(AnomalyError, match="outside your home"):
        anomaly_task.run({"table": "../../etc/passwd.csv"}, tmp_path, _no_progress)


def _no_progress(fraction: float, message: str) -> None:
    assert 0.0 <= fraction <= 1.0 and message


def test_anomaly_job_task_writes_table_top_and_plots(demo_env, planted, tmp_path) -> None:
    out = tmp_path / "job"
    seen = []
    summary = anomaly_task.run(
        {"sql": COLOURS_SQL, "columns": ["G_R", "R_I"], "top": 10, "output": "scores.fits"},
        out, lambda f, m: seen.append((f, m)),
    )
    assert seen[-1] == (1.0, "done")
    assert summary["columns"] == ["G_R", "R_I"] and summary["dropped"] == 0
    assert summary["files"] == [
        "scores.fits", "scores_top.csv", "scores_score_histogram.png",
        "scores_top_anomalies.png", "scores_score_map.png",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(summary["files"])
    table = Table.read(out / "scores.fits")
    assert len(table) == summary["rows"] == summary["scored"]
    assert {"ANOMALY_SCORE", "ANOMALY_RANK", "ANOMALY_FLAG"} <= set(table.colnames)
    assert table.meta["EIF_COLS"] == "G_R,R_I" and table.meta["EIF_NTRE"] == 100
    top = Table.read(out / "scores_top.csv", format="ascii.csv")
    assert len(top) == 10 and top["ANOMALY_RANK"][0] == 1
    assert summary["top"][0]["COADD_OBJECT_ID"] == int(top["COADD_OBJECT_ID"][0])
    # two colours are enough to put planted anomalies first
    assert summary["top"][0]["COADD_OBJECT_ID"] in planted
    for png in summary["files"][2:]:
        with Image.open(out / png) as im:
            assert im.format == "PNG" and im.size[0] > 300


def test_anomaly_job_task_on_a_table_in_home(demo_env, tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    monkeypatch.setenv("DESLAB_HOME", str(home))
    t = deslab.query(COLOURS_SQL)
    t.write(home / "data" / "colours.parquet", format="parquet")
    summary = anomaly_task.run(
        {"table": "data/colours.parquet", "columns": COLOURS, "top": 5, "contamination": 0.01},
        tmp_path / "job2", _no_progress,
    )
    scored = Table.read(tmp_path / "job2" / "anomaly_scores.parquet")
    assert len(scored) == len(t) and summary["rows"] == len(t)
    assert abs(np.mean(scored["ANOMALY_FLAG"]) - 0.01) < 0.005
    assert "anomaly_scores_score_map.png" not in summary["files"]  # 4 features: no 2-D map

"""The ``anomaly`` job through the real job worker process (``python -m deslab.jobs.worker``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SQL = """
SELECT COADD_OBJECT_ID, MAG_AUTO_I, MAG_AUTO_G - MAG_AUTO_R AS G_R,
       MAG_AUTO_R - MAG_AUTO_I AS R_I
FROM DR2_MAIN WHERE MAG_AUTO_I < 21.5 AND MAG_AUTO_G < 99
"""


def run_worker(tmp_path: Path, params: dict, job_id: str) -> tuple[int, dict, Path]:
    out = tmp_path / "home" / "jobs" / job_id
    spec = {"job_id": job_id, "type": "anomaly", "params": params, "output_dir": str(out)}
    (tmp_path / f"{job_id}.json").write_text(json.dumps(spec))
    status = tmp_path / f"{job_id}.status.json"
    proc = subprocess.run(
        [sys.executable, "-m", "deslab.jobs.worker", "--spec", str(tmp_path / f"{job_id}.json"),
         "--status", str(status)],
        capture_output=True, text=True, timeout=180,
    )
    return proc.returncode, json.loads(status.read_text()), out


@pytest.mark.slow
def test_worker_runs_an_anomaly_job_and_reports_bad_columns(demo_env, tmp_path) -> None:
    code, status, out = run_worker(
        tmp_path, {"sql": SQL, "columns": ["G_R", "R_I"], "top": 8}, "job-ok")
    assert code == 0 and status["state"] == "completed", status
    summary = status["summary"]
    assert summary["rows"] > 1000 and len(summary["top"]) == 8
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir())

    code, status, out = run_worker(
        tmp_path, {"sql": SQL, "columns": ["G_R", "U_G"]}, "job-bad")
    assert code == 1 and status["state"] == "error"
    assert "unknown feature columns: U_G" in status["error"]
    assert "Traceback" not in status["error"]
    assert not out.exists() or not any(out.iterdir())

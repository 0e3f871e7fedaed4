"""The worker process on its own: a job from a spec file, SIGTERM, standby mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from jobs_helpers import PY, SLOW_SQL


def _env(demo_survey: Path, home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "DESLAB_HOME": str(home), "HOME": str(home),
            "DESLAB_CATALOG": f"duckdb:///{demo_survey / 'catalog.duckdb'}",
            "DESLAB_JOBS_HEARTBEAT": "0.5"}


def _spec(tmp_path: Path, sql: str, output: str) -> tuple[Path, Path, Path]:
    out = tmp_path / "home" / "jobs" / ("a" * 32)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "job_id": "a" * 32, "type": "query", "output_dir": str(out),
        "params": {"sql": sql, "output": output, "format": None, "compression": None,
                   "binds": {}},
    }))
    return spec, tmp_path / "status.json", out


def _status(path: Path) -> dict:
    return json.loads(path.read_text())


def test_sigterm_interrupts_the_statement_and_leaves_no_partial_file(
    demo_survey: Path, tmp_path: Path
) -> None:
    spec, status, out = _spec(tmp_path, SLOW_SQL, "slow.fits")
    proc = subprocess.Popen([PY, "-m", "deslab.jobs.worker", "--spec", str(spec),
                             "--status", str(status), "--grace", "8"],
                            env=_env(demo_survey, tmp_path / "home"), start_new_session=True)
    deadline = time.monotonic() + 60
    while not (status.exists() and _status(status)["message"] == "running the query"):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 143
    assert time.monotonic() - t0 < 5  # the statement was interrupted, not waited for
    report = _status(status)
    assert report["state"] == "aborted" and report["error"] == "the job was cancelled"
    assert not out.exists() or list(out.iterdir()) == []


def test_a_bad_spec_is_refused_with_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "spec.json"
    bad.write_text("[1, 2]")
    r = subprocess.run([PY, "-m", "deslab.jobs.worker", "--spec", str(bad), "--status",
                        str(tmp_path / "s.json")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "spec" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("handoff", [True, False])
def test_standby_worker_takes_one_job_or_exits_when_the_service_goes(
    demo_survey: Path, tmp_path: Path, handoff: bool
) -> None:
    env = _env(demo_survey, tmp_path / "home")
    proc = subprocess.Popen([PY, "-m", "deslab.jobs.worker", "--standby"],
                            stdin=subprocess.PIPE, env={"PATH": env["PATH"]},
                            start_new_session=True)
    if not handoff:
        proc.stdin.close()
        assert proc.wait(60) == 0
        return
    spec, status, out = _spec(tmp_path, "SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 7",
                              "seven.csv")
    out.mkdir(parents=True)
    proc.stdin.write((json.dumps({"spec": str(spec), "status": str(status),
                                  "log": str(tmp_path / "w.log"), "cwd": str(out),
                                  "env": env}) + "\n").encode())
    proc.stdin.close()
    assert proc.wait(60) == 0, (tmp_path / "w.log").read_text()
    assert _status(status)["summary"]["rows"] == 7
    assert (out / "seven.csv").is_file()

"""The ``cutout`` job type, run by the real job worker process on the demo survey."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from deslab.jobs.tasks import cutout
from deslab_hub.jobs.types import get_type


def run_worker(tmp_path, params: dict) -> tuple[dict, dict]:
    body = {"type": "cutout", **params}
    validated = get_type("cutout").validate(body)
    out = tmp_path / "jobs" / "job1"
    out.mkdir(parents=True)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"job_id": "job1", "type": "cutout", "params": validated,
                                "output_dir": str(out)}))
    status = tmp_path / "status.json"
    done = subprocess.run([sys.executable, "-m", "deslab.jobs.worker", "--spec", str(spec),
                           "--status", str(status)], capture_output=True, text=True,
                          env=dict(os.environ), timeout=180)
    state = json.loads(status.read_text())
    assert done.returncode == 0, (done.stderr, state)
    return state, json.loads((out / "summary.json").read_text())


def test_cutout_job_writes_stamps_pngs_and_summary(survey, tmp_path):
    csv = "RA,DEC,XSIZE,BANDS\n0.01,-0.02,,\n359.98,0.03,0.5,zY\n500,0,,\n120,30,,\n"
    state, summary = run_worker(tmp_path, {"positions": csv, "bands": "gri", "xsize": 0.8})
    assert state["state"] == "completed"
    assert state["summary"] == {"positions": 4, "ok": 2, "partial": 0, "error": 2,
                                "files": 7, "summary": "summary.json"}
    rows = summary["rows"]
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error"]
    assert rows[0]["tilename"] == "DES0000+0000" and len(rows[0]["files"]) == 4
    assert [f[-7:] for f in rows[1]["files"][:2]] == ["_z.fits", "_Y.fits"]
    assert "outside [0, 360)" in rows[2]["message"]
    assert "off the survey footprint" in rows[3]["message"]
    out = tmp_path / "jobs" / "job1"
    for r in rows[:2]:
        for f in r["files"]:
            assert (out / f).stat().st_size > 0
        assert r["png"] in r["files"]


def test_cutout_task_reads_a_csv_path_in_the_home_and_pairs(survey, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DESLAB_HOME", str(home))
    (home / "targets.csv").write_text("ra,dec\n0.01,-0.02\n", encoding="utf-8")
    seen = []
    for k, positions in enumerate(["targets.csv", [[0.01, -0.02]]]):
        out = tmp_path / f"out{k}"
        out.mkdir()
        result = cutout.run({"positions": positions, "bands": "r", "rgb": False}, out,
                            lambda f, m: seen.append(f))
        assert result["ok"] == 1 and result["files"] == 1
    assert seen[-1] == 1.0


def test_cancelling_a_cutout_job_stops_the_worker_and_its_pool(survey, tmp_path):
    import signal
    import time

    import numpy as np
    import psutil

    rng = np.random.default_rng(1)
    rows = "RA,DEC\n" + "".join(
        f"{r % 360:.6f},{d:.6f}\n"
        for r, d in zip(rng.uniform(-0.14, 0.14, 1500), rng.uniform(-0.14, 0.04, 1500),
                        strict=True))
    out = tmp_path / "out"
    out.mkdir()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"job_id": "c", "type": "cutout", "output_dir": str(out),
                                "params": {"positions": rows, "bands": "grizY",
                                           "xsize": 2.0, "ysize": 2.0}}))
    status = tmp_path / "status.json"
    proc = subprocess.Popen([sys.executable, "-m", "deslab.jobs.worker", "--spec", str(spec),
                             "--status", str(status)], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        children: list[psutil.Process] = []
        while time.monotonic() < deadline and proc.poll() is None:
            children = psutil.Process(proc.pid).children(recursive=True)
            if len(children) >= 2 and status.exists() and json.loads(
                    status.read_text() or "{}").get("progress"):
                break
            time.sleep(0.2)
        assert proc.poll() is None and len(children) >= 2, "the pool never started"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
    state = json.loads(status.read_text())
    assert state["state"] == "aborted" and state["error"] == "the job was cancelled"
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"pool processes left running: {alive}"

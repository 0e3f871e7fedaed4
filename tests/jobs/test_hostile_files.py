"""Files the job service reads, replaced by hostile ones: a FIFO, a symlink to /dev/zero, a
1 GB sparse file, a directory. Each ends its job with a clear error, and the service keeps
answering other users within 1 s meanwhile."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.jobs.jobs_helpers import SLOW_SQL, Client, Hub
from tests.jobs.test_faults import _worker_pid

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _plant(path: Path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        os.symlink("/dev/zero", path)
    elif kind == "sparse":
        with open(path, "wb") as f:
            f.truncate(1 << 30)
    else:
        path.mkdir()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.parametrize("kind, words", [
    ("fifo", "a FIFO"),
    ("symlink", "symbolic link"),
    ("sparse", "1073741824 bytes"),
    ("directory", "a directory"),
])
def test_a_hostile_status_file_ends_its_job_and_stalls_nobody(hub: Hub, kind: str,
                                                              words: str) -> None:
    victim, other = hub.client(f"hostile-{kind}"), hub.client("bystander")
    job = victim.submit(sql=SLOW_SQL, output="slow.csv")
    victim.wait(job["id"], phases=("EXECUTING",))
    pid = _worker_pid(hub, job["id"])
    status = hub.root / "data" / "jobs-service" / "workers" / job["id"] / "status.json"
    os.killpg(pid, signal.SIGSTOP)  # the worker no longer rewrites its report
    try:
        _plant(status, kind)
        slowest = 0.0
        deadline = time.monotonic() + 60
        while True:
            t0 = time.monotonic()
            r = other.get("/jobs")
            slowest = max(slowest, time.monotonic() - t0)
            assert r.status_code == 200
            done = victim.get(f"/jobs/{job['id']}").json()
            if done["phase"] != "EXECUTING":
                break
            assert time.monotonic() < deadline, "the job was never ended"
            time.sleep(0.1)
        assert done["phase"] == "ERROR", done
        assert "status report could not be read safely" in done["error"], done["error"]
        assert words in done["error"], done["error"]
        assert slowest < 1.0, f"another user waited {slowest:.2f} s"
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "the worker was left running"
        ok = other.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 2", output="ok.csv")
        assert other.wait(ok["id"])["phase"] == "COMPLETED"
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if status.is_dir() and not status.is_symlink():
            shutil.rmtree(status, ignore_errors=True)
        elif status.is_symlink() or status.exists():
            status.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_a_hostile_result_file_is_refused_without_stalling(hub: Hub, kind: str) -> None:
    owner = hub.client(f"hostile-result-{kind}")
    job = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="r.csv")
    assert owner.wait(job["id"])["phase"] == "COMPLETED"
    path = hub.root / "data" / "users" / f"hostile-result-{kind}" / "jobs" / job["id"] / "r.csv"
    _plant(path, kind)
    try:
        t0 = time.monotonic()
        r = owner.get(f"/jobs/{job['id']}/results/r.csv")
        assert time.monotonic() - t0 < 1.0
        assert r.status_code == 404 and "no result 'r.csv'" in r.json()["error"], r.text[:200]
        if kind != "symlink":  # a symlink leaving the job's folder is simply not a result
            assert "not a regular file" in r.json()["error"]
        t0 = time.monotonic()
        assert Client(owner.base, hub.user("bystander")).get("/jobs").status_code == 200
        assert time.monotonic() - t0 < 1.0
    finally:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)

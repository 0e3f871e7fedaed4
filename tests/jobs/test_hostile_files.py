"""Hostile files where the job service might look: a FIFO, a symlink to /dev/zero, a 1 GB
sparse file, a directory. In the owner's job folder they are never read as the job's report;
in place of the worker's report FIFO they end the job with a clear error; result downloads
refuse them; and the service keeps answering other users within 1 s meanwhile."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.jobs.jobs_helpers import SLOW_SQL, Client, Hub, worker_pid

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


@pytest.mark.parametrize("kind", ["fifo", "symlink", "sparse", "directory"])
def test_hostile_files_in_the_job_folder_are_never_read_as_its_report(hub: Hub,
                                                                      kind: str) -> None:
    """The owner can write anything into ~/jobs/<id>/ while the job runs: the outcome comes
    from the worker's channel, the job completes with its real results, nobody stalls."""
    owner, other = hub.client(f"hostile-{kind}"), hub.client("bystander")
    job = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="r.csv")
    folder = hub.root / "data" / "users" / f"hostile-{kind}" / "jobs" / job["id"]
    deadline = time.monotonic() + 30
    while not folder.is_dir():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _plant(folder / ".deslab-status.json", kind)  # where the report used to be
    t0 = time.monotonic()
    assert other.get("/jobs").status_code == 200
    assert time.monotonic() - t0 < 1.0
    done = owner.wait(job["id"])
    assert done["phase"] == "COMPLETED", done
    assert [r["name"] for r in done["results"]] == ["r.csv"]
    assert done["summary"]["rows"] == 3


@pytest.mark.parametrize("kind, words", [
    ("symlink", "symbolic link"),
    ("sparse", "1073741824 bytes"),
    ("directory", "a directory"),
])
def test_a_replaced_report_fifo_ends_its_job_after_a_restart(jobsx, kind: str,
                                                             words: str) -> None:
    """Only the service's own account can touch its state directory; still, a restarted
    service that finds something else than the worker's FIFO there stops the job."""
    svc = jobsx().start()
    victim, other = svc.client(f"fifo-{kind}"), svc.client("bystander")
    job = victim.submit(sql=SLOW_SQL, output="slow.csv")
    victim.wait(job["id"], phases=("EXECUTING",))
    pid = worker_pid(svc.data_dir, job["id"])
    fifo = svc.data_dir / "jobs-service" / "workers" / job["id"] / "report.fifo"
    svc.kill()
    os.killpg(pid, signal.SIGSTOP)
    try:
        _plant(fifo, kind)
        svc.start()
        slowest = 0.0
        deadline = time.monotonic() + 60
        while True:
            t0 = time.monotonic()
            assert other.get("/jobs").status_code == 200
            slowest = max(slowest, time.monotonic() - t0)
            done = victim.get(f"/jobs/{job['id']}").json()
            if done["phase"] != "EXECUTING":
                break
            assert time.monotonic() < deadline, "the job was never ended"
            time.sleep(0.1)
        assert done["phase"] == "ERROR", done
        assert "status report could not be read safely" in done["error"], done["error"]
        assert words in done["error"], done["error"]
        assert slowest < 1.0, f"another user waited {slowest:.2f} s"
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


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

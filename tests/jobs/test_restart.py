"""kill -9 of the service while jobs are QUEUED and EXECUTING, then a restart."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.jobs.jobs_helpers import SLOW_SQL, worker_pid

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _pid(svc, job_id: str) -> int:
    return worker_pid(svc.data_dir, job_id)


def test_service_sigkill_and_restart_loses_nothing(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_MAX_RUNNING="2", DESLAB_JOBS_LOST_WORKER_RETRIES="0").start()
    dana = svc.client("dana")
    done = dana.submit(sql="SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 100", output="d.fits")
    done = dana.wait(done["id"])
    result = svc.data_dir / "users" / "dana" / "jobs" / done["id"] / "d.fits"
    before = result.read_bytes()

    survivor = dana.submit(sql=SLOW_SQL, output="s.csv", name="survivor")
    victim = dana.submit(sql=SLOW_SQL, output="v.csv", name="victim")
    dana.wait(survivor["id"], phases=("EXECUTING",))
    dana.wait(victim["id"], phases=("EXECUTING",))
    queued = dana.submit(sql="SELECT COUNT(*) AS N FROM DR2_MAIN", output="n.csv")
    assert dana.get(f"/jobs/{queued['id']}").json()["phase"] == "QUEUED"  # 2 running
    survivor_pid, victim_pid = _pid(svc, survivor["id"]), _pid(svc, victim["id"])

    svc.kill()  # SIGKILL, like a crash
    os.kill(victim_pid, signal.SIGKILL)  # this worker dies while the service is down
    time.sleep(0.5)
    os.kill(survivor_pid, 0)  # the other one kept running
    svc.start()

    lost = dana.wait(victim["id"], timeout=30)
    assert lost["phase"] == "ERROR" and "worker process" in lost["error"]
    assert dana.wait(queued["id"], timeout=60)["phase"] == "COMPLETED"
    again = dana.get(f"/jobs/{survivor['id']}").json()
    assert again["phase"] == "EXECUTING" and again["attempts"] == 1  # followed, not re-run
    r = dana.post(f"/jobs/{survivor['id']}/cancel")  # the adopted worker still obeys
    assert r.status_code == 202
    assert dana.wait(survivor["id"], timeout=20)["phase"] == "ABORTED"
    assert not _alive(survivor_pid)

    kept = dana.get(f"/jobs/{done['id']}").json()
    assert kept["phase"] == "COMPLETED" and kept["results"][0]["name"] == "d.fits"
    assert result.read_bytes() == before


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_queued_jobs_of_a_crashed_service_run_after_restart(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_MAX_RUNNING="1").start()
    erin = svc.client("erin")
    blocker = erin.submit(sql=SLOW_SQL, output="b.csv")
    erin.wait(blocker["id"], phases=("EXECUTING",))
    waiting = [erin.submit(sql=f"SELECT RA FROM DR2_MAIN WHERE ROWNUM <= {n}", output="w.csv")
               for n in (1, 2, 3)]
    pid = _pid(svc, blocker["id"])
    svc.kill()
    os.kill(pid, signal.SIGKILL)  # both crashed: the default policy re-runs the lost job once
    svc.start()
    rerun = erin.wait(blocker["id"], phases=("EXECUTING",), timeout=30)
    assert rerun["attempts"] == 2
    erin.post(f"/jobs/{blocker['id']}/cancel")
    for job in waiting:
        done = erin.wait(job["id"], timeout=60)
        assert done["phase"] == "COMPLETED", done
    ids = [j["id"] for j in erin.get("/jobs").json()["jobs"]]
    assert len(ids) == len(set(ids)) == 4  # nothing lost or duplicated


def test_a_cancel_and_a_delete_pending_at_a_crash_are_finished_after_restart(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_MAX_RUNNING="2", DESLAB_JOBS_CANCEL_GRACE="4").start()
    ola = svc.client("ola")
    cancelled = ola.submit(sql=SLOW_SQL, output="c.csv", name="to cancel")
    deleted = ola.submit(sql=SLOW_SQL, output="d.csv", name="to delete")
    ola.wait(cancelled["id"], phases=("EXECUTING",))
    ola.wait(deleted["id"], phases=("EXECUTING",))
    pids = [_pid(svc, cancelled["id"]), _pid(svc, deleted["id"])]
    for pid in pids:  # hung workers: the SIGTERMs stay pending
        os.killpg(pid, signal.SIGSTOP)
    try:
        assert ola.post(f"/jobs/{cancelled['id']}/cancel").status_code == 202
        assert ola.delete(f"/jobs/{deleted['id']}").status_code == 204
        assert ola.get(f"/jobs/{deleted['id']}").status_code == 404  # gone for the user now
        svc.kill()  # both only requested: the workers still run
        assert all(_alive(pid) for pid in pids)
        svc.start()
        done = ola.wait(cancelled["id"], timeout=40)
        assert done["phase"] == "ABORTED" and done["error"] == "the job was cancelled", done
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, "a worker was left running (an orphan)"
            time.sleep(0.1)
        folder = svc.data_dir / "users" / "ola" / "jobs" / deleted["id"]
        deadline = time.monotonic() + 10
        while folder.exists():
            assert time.monotonic() < deadline, "the deleted job's files are still there"
            time.sleep(0.1)
        assert ola.get(f"/jobs/{deleted['id']}").status_code == 404
        ids = {j["id"] for j in ola.get("/jobs").json()["jobs"]}
        assert ids == {cancelled["id"]}
    finally:
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

"""Bad input and faults: hostile ids and bodies, unknown types, killed workers, a full disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.jobs.jobs_helpers import SLOW_SQL, Client, Hub, worker_pid

pytestmark = pytest.mark.integration

BAD_IDS = ["../x", "..%2fx", "%2e%2e", "%2e%2e%2f%2e%2e%2fetc", "a" * 10_240,
           "x' OR '1'='1", "1;DROP TABLE jobs", "%00", "A" * 32]


@pytest.fixture(scope="module")
def mallory(hub: Hub) -> Client:
    return hub.client("mallory")


def _is_clear_4xx(r) -> bool:
    if not 400 <= r.status_code < 500:
        return False
    try:
        return bool(r.json()["error"])
    except ValueError:
        return False


def test_hostile_ids_on_every_endpoint_answer_a_clear_4xx(mallory: Client) -> None:
    real = mallory.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="x.csv")
    for bad in BAD_IDS:
        for method, path, body in [
            ("GET", f"/jobs/{bad}", None),
            ("PATCH", f"/jobs/{bad}", {"name": "x"}),
            ("DELETE", f"/jobs/{bad}", None),
            ("POST", f"/jobs/{bad}/cancel", None),
            ("GET", f"/jobs/{bad}/results", None),
            ("GET", f"/jobs/{bad}/results/x.csv", None),
            ("GET", f"/jobs/{real['id']}/results/{bad}", None),
        ]:
            r = mallory.request(method, path, json=body)
            if r.status_code == 200 and path.startswith(f"/jobs/{real['id']}/"):
                # the proxy resolves dot segments (WHATWG URLs treat %2e%2e as ..): the
                # request lands on the caller's own job, never on a file
                assert r.json().get("id") == real["id"] or "results" in r.json(), r.text
                continue
            assert _is_clear_4xx(r), (method, path[:80], r.status_code, r.text[:200])
            assert "Traceback" not in r.text
    done = mallory.wait(real["id"])
    assert done["phase"] == "COMPLETED"  # nothing was lost on the way


def test_malformed_and_oversized_bodies(mallory: Client) -> None:
    for raw in [b"{not json", b"[]", b"null", b"\xff\xfe\x00", b"", b'"sql"']:
        r = mallory.post("/jobs", data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"], (raw, r.text)
    r = mallory.post("/jobs", data=b"x" * (7 * 1024 * 1024))
    assert r.status_code in (400, 413), r.status_code
    r = mallory.post("/jobs", json={"type": "query", "sql": "SELECT 1", "name": "n" * 5000})
    assert r.status_code == 400 and "name" in r.json()["error"]
    r = mallory.post("/jobs", json={"type": "query", "sql": "SELECT 1",
                                    "execution_duration": 10**9})
    assert r.status_code == 400 and "execution_duration" in r.json()["error"]
    r = mallory.post("/jobs", json={"type": "query", "sql": "S" * 200_000})
    assert r.status_code == 400 and "too long" in r.json()["error"]
    hostile = {
        "nested": b'{"type": "query", "sql": "SELECT 1", "x": ' + b"[" * 100_000
                  + b"]" * 100_000 + b"}",
        "not finite": b'{"type": "query", "sql": "SELECT 1", "lifetime_days": 1e999}',
        "surrogate": b'{"type": "query", "sql": "SELECT 1 \\ud800", "name": "a\\udfffb"}',
        "big int": b'{"type": "query", "sql": "SELECT :n", "binds": {"n": 1' + b"0" * 30
                   + b"}}",
    }
    for what, raw in hostile.items():
        r = mallory.post("/jobs", data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"], (what, r.status_code, r.text[:200])
    real = mallory.submit(sql="SELECT 1 AS ONE FROM DR2_MAIN WHERE ROWNUM <= 1", output="o.csv")
    for body in [{"lifetime_days": 1e300}, {"name": "x\ud800"}, {"destruction": 10**30}]:
        raw = json.dumps(body).encode("utf-8", "surrogatepass")
        r = mallory.patch(f"/jobs/{real['id']}", data=raw)
        assert r.status_code == 400 and r.json()["error"], (body, r.text[:200])
    assert mallory.get("/jobs").json()["total"] <= 2  # none of these created a job


def test_unknown_job_type_lists_the_valid_types(mallory: Client) -> None:
    for t in ["shell", None, 42, "../query", "Query"]:
        r = mallory.post("/jobs", json={"type": t, "sql": "SELECT 1"})
        assert r.status_code == 400
        assert "valid types: anomaly, cutout, query" in r.json()["error"]


def test_sql_quotes_are_data_not_code(hub: Hub, mallory: Client) -> None:
    name = "x'); DROP TABLE jobs; --"
    job = mallory.submit(sql="SELECT COUNT(*) AS N FROM DR2_MAIN WHERE TILENAME = :t",
                         binds={"t": "' OR '1'='1"}, name=name, output="n.csv")
    done = mallory.wait(job["id"])
    assert done["phase"] == "COMPLETED" and done["name"] == name
    text = (hub.root / "data/users/mallory/jobs" / job["id"] / "n.csv").read_text()
    assert text.strip().splitlines()[-1] == "0"
    bad = mallory.submit(sql="SELECT 'unterminated FROM DR2_MAIN", output="bad.csv")
    failed = mallory.wait(bad["id"])
    assert failed["phase"] == "ERROR" and failed["error"]
    assert "Traceback" not in failed["error"]


def _worker_pid(hub: Hub, job_id: str) -> int:
    return worker_pid(hub.root / "data", job_id)


def test_a_worker_killed_with_sigkill_is_rerun_once_then_errors(hub: Hub,
                                                                mallory: Client) -> None:
    job = mallory.submit(sql=SLOW_SQL, output="slow.fits", name="doomed")
    mallory.wait(job["id"], phases=("EXECUTING",))
    os.kill(_worker_pid(hub, job["id"]), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:  # re-queued and started again (attempt 2)
        again = mallory.get(f"/jobs/{job['id']}").json()
        if again["attempts"] == 2 and again["phase"] == "EXECUTING":
            break
        assert again["phase"] in ("EXECUTING", "QUEUED"), again
        assert time.monotonic() < deadline, again
        time.sleep(0.2)
    time.sleep(0.5)
    os.kill(_worker_pid(hub, job["id"]), signal.SIGKILL)
    done = mallory.wait(job["id"], timeout=30)
    assert done["phase"] == "ERROR"
    assert "SIGKILL" in done["error"] and "Submit it again" in done["error"]
    assert not (hub.root / "data/users/mallory/jobs" / job["id"]).exists()


@pytest.fixture
def small_disk_user(hub: Hub):
    """A user whose home is a 1 MB tmpfs, so that a result fills the disk."""
    home = hub.root / "data" / "users" / "fulldisk"
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(home)], check=True)
    try:
        yield hub.client("fulldisk")
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def test_a_full_disk_during_the_write_ends_in_error_with_a_reason(
    hub: Hub, small_disk_user: Client
) -> None:
    job = small_disk_user.submit(sql="SELECT * FROM DR2_MAIN", output="all.csv")
    done = small_disk_user.wait(job["id"], timeout=90)
    assert done["phase"] == "ERROR", done
    assert "disk" in done["error"] and "full" in done["error"].lower() or "space" in done["error"]
    out = Path(hub.root / "data/users/fulldisk/jobs" / job["id"])
    assert not out.exists() or not any(out.iterdir())  # no partial file left
    ok = small_disk_user.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 5", output="s.csv")
    assert small_disk_user.wait(ok["id"])["phase"] == "COMPLETED"  # the service is fine


def test_a_job_past_its_execution_duration_is_stopped_with_a_reason(mallory: Client) -> None:
    job = mallory.submit(sql=SLOW_SQL, output="long.csv", execution_duration=2)
    done = mallory.wait(job["id"], timeout=60)
    assert done["phase"] == "ERROR"
    assert "execution duration of 2 s" in done["error"] and "execution_duration" in done["error"]
    assert done["duration"] < 30


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


def test_a_worker_ignoring_sigterm_is_killed_after_the_grace_and_aborted(
        hub: Hub, mallory: Client) -> None:
    job = mallory.submit(sql=SLOW_SQL, output="stuck.csv")
    mallory.wait(job["id"], phases=("EXECUTING",))
    pid = _worker_pid(hub, job["id"])
    os.killpg(pid, signal.SIGSTOP)  # a hung worker: SIGTERM stays pending, nothing runs
    try:
        t0 = time.monotonic()
        assert mallory.post(f"/jobs/{job['id']}/cancel").status_code == 202
        done = mallory.wait(job["id"], timeout=40)
        took = time.monotonic() - t0
    finally:
        try:
            os.killpg(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert done["phase"] == "ABORTED" and done["error"] == "the job was cancelled", done
    assert 4 <= took < 4 + 15, took  # SIGKILL once cancel_grace (4 s here) has passed
    assert _gone(pid), "the worker still runs"
    assert not (hub.root / "data/users/mallory/jobs" / job["id"]).exists()


def test_a_worker_whose_heartbeat_stops_ends_in_error_with_the_reason(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_HEARTBEAT_TIMEOUT="3").start()
    nia = svc.client("nia")
    job = nia.submit(sql=SLOW_SQL, output="hb.csv")
    nia.wait(job["id"], phases=("EXECUTING",))
    pid = worker_pid(svc.data_dir, job["id"])
    deadline = time.monotonic() + 30
    while "running" not in nia.get(f"/jobs/{job['id']}").json()["progress_message"]:
        assert time.monotonic() < deadline  # its reports arrive
        time.sleep(0.1)
    os.killpg(pid, signal.SIGSTOP)  # alive, but no heartbeat any more
    try:
        done = nia.wait(job["id"], timeout=40)
    finally:
        try:
            os.killpg(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert done["phase"] == "ERROR", done
    assert "stopped reporting" in done["error"] and "heartbeat_timeout = 3 s" in done["error"]
    assert _gone(pid)

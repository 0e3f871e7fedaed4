"""Limits that hold while a job runs: the disk quota per write batch, reservations that keep
simultaneous submissions under the quota, and the workers' memory limit."""

from __future__ import annotations

import os
import re
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# 2 columns of CSV, about 39 bytes a row: 131072-row batches of about 5.1 MB, 15.5 MB in all
BIG_CSV_SQL = "SELECT a.RA, b.DEC FROM DR2_MAIN a, DR2_MAIN b WHERE ROWNUM <= 400000"


def _bytes_under(path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _megabytes(text: str, label: str) -> float:
    m = re.search(label + r" ([0-9.]+) (kB|MB)", text)
    assert m, text
    return float(m.group(1)) * (1 if m.group(2) == "MB" else 1e-3)


def test_a_job_passing_the_quota_mid_write_stops_within_one_batch(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_DISK_QUOTA_BYTES="8000000",
                DESLAB_JOBS_MAX_RUNNING_PER_USER="1").start()  # its share: all 8 MB
    hal = svc.client("hal")
    job = hal.submit(sql=BIG_CSV_SQL, output="big.csv")
    done = hal.wait(job["id"], timeout=120)
    assert done["phase"] == "ERROR", done
    err = done["error"]
    assert "disk quota" in err and "disk_quota_bytes = 8.0 MB" in err, err
    assert "partial files removed" in err and "Traceback" not in err
    # the first ~5.1 MB batch fitted; the second passed the 8 MB: stopped there, not at 15.5 MB
    wrote = _megabytes(err, "wrote")
    assert 8.0 < wrote < 8.0 + 5.2, err
    assert not (svc.data_dir / "users" / "hal" / "jobs" / job["id"]).exists()
    assert hal.get("/limits").json()["disk_used_bytes"] == 0  # the reservation was released
    ok = hal.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 10", output="s.csv")
    assert hal.wait(ok["id"])["phase"] == "COMPLETED"


def test_simultaneous_submissions_cannot_overshoot_the_quota(jobsx) -> None:
    quota = 3_000_000
    svc = jobsx(DESLAB_JOBS_DISK_QUOTA_BYTES=str(quota), DESLAB_JOBS_MAX_RUNNING="3",
                DESLAB_JOBS_MAX_RUNNING_PER_USER="2").start()
    ida = svc.client("ida")
    # each writes about 1.2 MB: four of them would hold 4.8 MB, above the 3 MB quota
    sql = "SELECT a.RA, b.DEC FROM DR2_MAIN a, DR2_MAIN b WHERE ROWNUM <= 30000"
    jobs, refused = [], 0
    for i in range(6):  # all inside any cache window
        r = ida.post("/jobs", json={"type": "query", "sql": sql, "output": f"p{i}.csv"})
        if r.status_code == 429:
            refused += 1
            assert "disk_quota_bytes" in r.json()["error"]
        else:
            assert r.status_code == 201, r.text
            jobs.append(r.json()["id"])
    home = svc.data_dir / "users" / "ida" / "jobs"
    peak = 0
    deadline = time.monotonic() + 180
    while True:
        peak = max(peak, _bytes_under(home))
        phases = [ida.get(f"/jobs/{j}").json()["phase"] for j in jobs]
        if all(p in ("COMPLETED", "ERROR", "ABORTED") for p in phases):
            break
        assert time.monotonic() < deadline, phases
        time.sleep(0.05)
    finals = [ida.get(f"/jobs/{j}").json() for j in jobs]
    kept = sum(f["results_bytes"] for f in finals if f["phase"] == "COMPLETED")
    assert kept <= quota, (kept, [(f["phase"], f["error"]) for f in finals])
    assert _bytes_under(home) <= quota
    for f in finals:
        assert f["phase"] == "COMPLETED" or "disk quota" in (f["error"] or ""), f
    assert any(f["phase"] == "COMPLETED" for f in finals)
    # a written batch may pass its job's share until the check right after it removes it
    assert peak <= quota + 2 * 1_300_000, peak
    r = ida.post("/jobs", json={"type": "query", "sql": sql})
    assert r.status_code in (201, 429)


def test_a_worker_passing_its_memory_limit_ends_in_error_saying_so(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_WORKER_MEMORY_LIMIT=str(1536 << 20)).start()
    kim = svc.client("kim")
    ok = kim.submit(sql="SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 1000", output="ok.fits")
    assert kim.wait(ok["id"], timeout=90)["phase"] == "COMPLETED"  # 1.5 GiB is enough here
    hog = kim.submit(sql="SELECT LISTAGG(CAST(a.RA AS VARCHAR), ',') AS X "
                         "FROM DR2_MAIN a, DR2_MAIN b", output="hog.csv")
    done = kim.wait(hog["id"], timeout=120)
    assert done["phase"] == "ERROR", done
    assert "ran out of memory" in done["error"] and "1.6 GB" in done["error"], done["error"]
    assert "worker_memory_limit" in done["error"]
    assert not (svc.data_dir / "users" / "kim" / "jobs" / hog["id"]).exists()

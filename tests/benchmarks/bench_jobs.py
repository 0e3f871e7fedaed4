"""Throughput and API latency of the job service under load.

A real JupyterHub (with configurable-http-proxy) runs the job service as a hub-managed
service, as ``deslab-hub up`` does, with the local runner and the demo survey. 10 users each
submit 20 small query jobs at once (200 jobs, 10 submitting threads). Reported:

- jobs/s from the first submission to the last completion, and the submission time;
- none lost or duplicated: every user lists exactly their 20 jobs, all COMPLETED, each with
  its result file in ``~/jobs/<id>/``;
- API latency (p50/p95 of ``GET /jobs/<id>`` and ``GET /jobs``, through the proxy, with a
  real hub token check) idle and under that load, and the ratio.

Run: .venv/bin/python tests/benchmarks/bench_jobs.py [--users 10] [--jobs 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "jobs"))

from jobs_helpers import (  # noqa: E402
    Client,
    Hub,
    kill_leftover_workers,
    wait_http,
)
from jobs_helpers import start_hub as start_jobs_hub  # noqa: E402

SMALL_SQL = ("SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G FROM DR2_MAIN "
             "WHERE TILENAME = :tile")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_hub(root: Path, catalog: Path, max_running: int) -> Hub:
    hub, _log = start_jobs_hub(root, catalog, DESLAB_JOBS_MAX_RUNNING=str(max_running),
                               DESLAB_JOBS_MAX_RUNNING_PER_USER=str(max_running),
                               DESLAB_JOBS_MAX_ACTIVE_PER_USER="50")
    wait_http(f"{hub.url}/services/jobs/api/health", timeout=120, proc=hub.proc)
    return hub


def probe(client: Client, job_id: str, stop: threading.Event, out: list[float]) -> None:
    """Alternate GET /jobs/<id> and GET /jobs until ``stop``, recording latencies."""
    paths = [f"/jobs/{job_id}", "/jobs?limit=20"]
    i = 0
    while not stop.is_set():
        t = time.perf_counter()
        r = client.get(paths[i % 2])
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        i += 1
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=20, help="jobs per user")
    parser.add_argument("--max-running", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    from deslab.demo import generate

    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        generate(root / "demo")
        print(f"demo survey: {time.perf_counter() - t:.1f} s")
        import duckdb

        con = duckdb.connect(str(root / "demo" / "catalog.duckdb"), read_only=True)
        tiles = [r[0] for r in con.execute(
            "SELECT TILENAME FROM DR2_TILE_INFO ORDER BY TILENAME").fetchall()]
        con.close()
        (root / "hub").mkdir()
        hub = start_hub(root / "hub", root / "demo" / "catalog.duckdb", args.max_running)
        try:
            return run(hub, args, tiles)
        finally:
            os.killpg(hub.proc.pid, signal.SIGTERM)
            try:
                hub.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(hub.proc.pid, signal.SIGKILL)
            kill_leftover_workers(hub.root / "data")


def run(hub: Hub, args: argparse.Namespace, tiles: list[str]) -> int:
    users = [f"bench{i:02d}" for i in range(args.users)]
    clients = {u: hub.client(u) for u in users}
    prober = hub.client("prober")
    ref = prober.submit(sql="SELECT 1 AS X FROM DR2_MAIN WHERE ROWNUM <= 1", output="x.csv")
    prober.wait(ref["id"], timeout=120)

    idle: list[float] = []
    stop = threading.Event()
    th = threading.Thread(target=probe, args=(prober, ref["id"], stop, idle))
    th.start()
    time.sleep(10)
    stop.set()
    th.join()

    total = args.users * args.jobs
    submitted: dict[str, list[str]] = {u: [] for u in users}
    load: list[float] = []
    stop = threading.Event()
    th = threading.Thread(target=probe, args=(prober, ref["id"], stop, load))

    def submit_all(user: str) -> None:
        c = clients[user]
        for k in range(args.jobs):
            tile = tiles[(users.index(user) * args.jobs + k) % len(tiles)]
            job = c.submit(sql=SMALL_SQL, binds={"tile": tile}, output="tile.fits",
                           name=f"{user}-{k}")
            submitted[user].append(job["id"])

    th.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.users) as pool:
        list(pool.map(submit_all, users))
    t_submit = time.perf_counter() - t0
    deadline = time.monotonic() + 3600
    last_done = None
    while time.monotonic() < deadline:
        done = 0
        for u in users:
            body = clients[u].get("/jobs", params={"phase": "COMPLETED,ERROR,ABORTED",
                                                   "limit": 1}).json()
            done += body["total"]
        if done >= total:
            last_done = time.perf_counter()
            break
        time.sleep(1)
    stop.set()
    th.join()
    if last_done is None:
        print("FAILED: not all jobs ended within an hour")
        return 1
    elapsed = last_done - t0

    problems = []
    for u in users:
        listed = clients[u].get("/jobs", params={"limit": 1000}).json()["jobs"]
        ids = [j["id"] for j in listed]
        if sorted(ids) != sorted(submitted[u]) or len(set(ids)) != len(ids):
            problems.append(f"{u}: listed {len(ids)} jobs, submitted {len(submitted[u])}")
        for j in listed:
            path = hub.root / "data" / "users" / u / "jobs" / j["id"] / "tile.fits"
            if j["phase"] != "COMPLETED" or not path.is_file():
                problems.append(f"{u}: job {j['id']} {j['phase']} {j.get('error')}")
    print(f"jobs: {total} from {args.users} users, max_running {args.max_running}")
    print(f"submission of all jobs: {t_submit:.2f} s ({total / t_submit:.1f} submissions/s)")
    print(f"all completed after {elapsed:.1f} s: {total / elapsed:.2f} jobs/s")
    print(f"lost or duplicated or failed: {len(problems)}")
    for p in problems[:10]:
        print("  ", p)
    i50, i95 = percentile(idle, 0.5) * 1000, percentile(idle, 0.95) * 1000
    l50, l95 = percentile(load, 0.5) * 1000, percentile(load, 0.95) * 1000
    print(f"API latency idle:       p50 {i50:7.1f} ms  p95 {i95:7.1f} ms  (n={len(idle)})")
    print(f"API latency under load: p50 {l50:7.1f} ms  p95 {l95:7.1f} ms  (n={len(load)})")
    print(f"ratio load/idle:        p50 {l50 / i50:7.2f}x    p95 {l95 / i95:7.2f}x")
    print(f"mean idle {statistics.mean(idle) * 1000:.1f} ms, "
          f"mean load {statistics.mean(load) * 1000:.1f} ms")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""One query cannot harm another: a timeout stops its own statement only, a runaway join ends
in a clear error within DuckDB's memory and spill limits, and a quick query cannot fill the
kernel's memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import deslab
import duckdb
import pytest
from deslab.catalog import connect
from deslab.catalog.backends.duckdb_backend import duckdb_config
from deslab.errors import QueryError, QueryTimeoutError
from deslab.settings import Settings

# about 100 000 x K sine evaluations: seconds, not minutes
LONG = ("SELECT SUM(SIN(a.RA * b.DEC)) AS S FROM DR2_MAIN a, "
        "(SELECT DEC FROM DR2_MAIN WHERE ROWNUM <= 1500) b")
HUGE = "SELECT SUM(SIN(a.RA * b.DEC)) AS S FROM DR2_MAIN a, DR2_MAIN b"


def _run(box: dict, key: str, fn) -> None:
    box[key + "_start"] = time.monotonic()
    try:
        box[key] = fn()
    except Exception as exc:  # handed to the test thread
        box[key] = exc
    box[key + "_end"] = time.monotonic()


def test_short_timeout_never_interrupts_another_query(catalog_env, demo_survey):
    """Two threads, one backend: the long query keeps running and returns the right sum while
    the other query's 0.3 s timeout fires and cancels that query only."""
    backend = connect()
    box: dict = {}
    long_thread = threading.Thread(target=_run, args=(box, "long", lambda: deslab.query(
        LONG, timeout=None, catalog=backend)))
    short_thread = threading.Thread(target=_run, args=(box, "short", lambda: deslab.query(
        HUGE, timeout=0.3, catalog=backend)))
    long_thread.start()
    time.sleep(0.2)
    short_thread.start()
    short_thread.join(60)
    long_thread.join(300)
    assert isinstance(box["short"], QueryTimeoutError), box["short"]
    assert not isinstance(box["long"], Exception), box["long"]
    # the timeout fired while the long query was running
    assert box["long_start"] < box["short_end"] < box["long_end"], box
    ref = duckdb.connect(str(demo_survey / "catalog.duckdb"), read_only=True,
                         config=duckdb_config())
    try:
        want = ref.sql("SELECT SUM(SIN(a.RA * b.DEC)) FROM DR2_MAIN a, (SELECT DEC FROM "
                       "DR2_MAIN LIMIT 1500) b").fetchall()[0][0]
    finally:
        ref.close()
    assert box["long"]["S"][0] == pytest.approx(want, rel=1e-9)


def test_export_timeout_leaves_a_concurrent_query_running(catalog_env, tmp_path):
    backend = connect()
    box: dict = {}
    long_thread = threading.Thread(target=_run, args=(box, "long", lambda: deslab.query(
        LONG, timeout=None, catalog=backend)))
    long_thread.start()
    time.sleep(0.2)
    with pytest.raises(QueryTimeoutError):
        deslab.query_to_file(HUGE, tmp_path / "x.parquet", timeout=0.3, catalog=backend)
    long_thread.join(300)
    assert not isinstance(box["long"], Exception), box["long"]
    assert not list(tmp_path.iterdir())  # nothing half-written was kept


def test_interrupt_of_all_still_stops_everything(catalog_env):
    """``backend.interrupt()`` without an owner (Ctrl-C in deslab sql, a cancelled job) stops
    every statement of the backend."""
    backend = connect()
    box: dict = {}
    threads = [threading.Thread(target=_run, args=(box, f"q{i}", lambda: deslab.query(
        HUGE, timeout=None, catalog=backend))) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    backend.interrupt()
    for t in threads:
        t.join(60)
    assert all(isinstance(box[f"q{i}"], QueryError) for i in range(2)), box


def test_memory_settings_have_pod_sized_defaults_and_env_overrides(tmp_path):
    default = Settings.from_env({})
    assert default.duckdb_memory_limit.endswith("MB")
    assert int(default.duckdb_memory_limit[:-2]) >= 256
    assert default.duckdb_max_temp_size == "5GB"
    assert str(default.duckdb_temp_directory).startswith("/")
    custom = Settings.from_env({"DESLAB_DUCKDB_MEMORY_LIMIT": "1GB",
                                "DESLAB_DUCKDB_TEMP_DIRECTORY": str(tmp_path),
                                "DESLAB_DUCKDB_MAX_TEMP_SIZE": "2GB",
                                "DESLAB_QUERY_MAX_BYTES": "300MB"})
    config = duckdb_config(custom)
    assert (config["memory_limit"], config["temp_directory"], config["max_temp_directory_size"]
            ) == ("1GB", str(tmp_path), "2GB")
    assert custom.query_max_bytes == 300_000_000
    assert config["lock_configuration"] and not config["enable_external_access"]


_CHILD = """
import json, sys, time
import deslab
from deslab.catalog import connect
started = time.monotonic()
try:
    deslab.{call}
    out = {{"error": None}}
except Exception as exc:
    out = {{"error": type(exc).__name__, "message": str(exc)}}
con = connect()._con.cursor()
out["settings"] = con.sql("SELECT current_setting('memory_limit'), "
                          "current_setting('temp_directory')").fetchall()[0]
out["seconds"] = time.monotonic() - started
# VmHWM starts again at exec (ru_maxrss can carry the forking parent's high-water mark)
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def _child(call: str, env: dict) -> dict:
    p = subprocess.run([sys.executable, "-c", _CHILD.format(call=call)], capture_output=True,
                       text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture
def limited_env(catalog_env, tmp_path):
    spill = tmp_path / "spill"
    return dict(os.environ, DESLAB_DUCKDB_MEMORY_LIMIT="128MB",
                DESLAB_DUCKDB_MAX_TEMP_SIZE="64MB", DESLAB_DUCKDB_TEMP_DIRECTORY=str(spill),
                DESLAB_QUERY_MAX_BYTES="200MB")


def test_cartesian_join_that_sorts_ends_in_a_clear_error(limited_env, tmp_path):
    """Every row with every row (10^10 pairs), sorted: DuckDB works in its memory limit,
    spills, hits the spill limit and stops with a message, instead of taking the machine."""
    out = _child("query_to_file('SELECT a.RA, b.DEC FROM DR2_MAIN a, DR2_MAIN b "
                 f"ORDER BY a.RA + b.DEC', {str(tmp_path / 'x.parquet')!r})", limited_env)
    assert out["error"] == "QueryError", out
    assert "join condition" in out["message"] and "memory" in out["message"]
    assert out["settings"][1] == str(tmp_path / "spill")
    assert out["settings"][0].startswith("122") or "MiB" in out["settings"][0], out
    assert out["seconds"] < 300 and out["peak_mb"] < 1024, out
    assert not (tmp_path / "x.parquet").exists()
    print(f"cartesian sort stopped after {out['seconds']:.1f} s, peak RSS "
          f"{out['peak_mb']:.0f} MB")


def test_cartesian_join_into_a_quick_query_is_stopped(limited_env):
    """Streaming 10^10 rows into deslab.query would fill the kernel: it stops at the cap."""
    out = _child("query('SELECT a.RA, b.DEC, a.TILENAME FROM DR2_MAIN a, DR2_MAIN b', "
                 "timeout=None)", limited_env)
    assert out["error"] == "QueryError", out
    assert "200 MB" in out["message"] and "query_to_file" in out["message"]
    assert out["peak_mb"] < 1024, out
    print(f"quick-query cap stopped after {out['seconds']:.1f} s, peak RSS "
          f"{out['peak_mb']:.0f} MB")

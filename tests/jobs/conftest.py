"""Fixtures of the job-service tests: a real JupyterHub with the job service (see
``jobs_helpers``), ``jobsx`` services the tests start and kill themselves, and a real
PostgreSQL server for the store tests."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tests.jobs.jobs_helpers import (  # noqa: E402
    Hub,
    ServiceProcess,
    free_port,
    kill_leftover_workers,
    start_hub,
    wait_http,
)


@pytest.fixture(scope="session")
def hub(tmp_path_factory, demo_survey: Path) -> Hub:
    """A real JupyterHub (with proxy) running the job service, for the whole session."""
    root = tmp_path_factory.mktemp("hub")
    hub, log = start_hub(root, demo_survey / "catalog.duckdb")
    proc = hub.proc
    try:
        wait_http(f"{hub.url}/services/jobs/api/health", timeout=90, proc=proc)
        yield hub
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:  # the hub's state is thrown away: do not wait long for a clean stop
            proc.wait(8)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_leftover_workers(root / "data")
        log.close()


@pytest.fixture
def jobsx(hub: Hub, tmp_path: Path):
    """Factory of ``jobsx`` services with test-chosen settings; all stopped afterwards."""
    started: list[ServiceProcess] = []

    def make(**settings: str) -> ServiceProcess:
        svc = ServiceProcess(hub, tmp_path / f"svc{len(started)}", **settings)
        started.append(svc)
        return svc

    yield make
    for svc in started:
        svc.stop()
        kill_leftover_workers(svc.data_dir)


# -- PostgreSQL -----------------------------------------------------------------------------


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    return versions[-1].parent


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL server on 127.0.0.1 (free port), for the session; its URL.

    Its directory is outside pytest's (root-only) temporary tree, owned by ``postgres``:
    PostgreSQL refuses to run as root.
    """
    import tempfile

    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="deslab-jobs-pg-"))
    datadir, sockdir = root / "data", root / "sock"
    sockdir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "deslab",
                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        _as_postgres([str(bindir / "postgres"), "-D", str(datadir), "-h", "127.0.0.1",
                      "-p", str(port), "-k", str(sockdir), "-c", "fsync=off"]),
        stdout=subprocess.DEVNULL, stderr=open(root / "pg.log", "wb"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            ok = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                capture_output=True).returncode == 0
            if ok:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((root / "pg.log").read_text()[-2000:])
            time.sleep(0.2)
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "deslab",
             "jobs"], check=True, capture_output=True,
        )
        yield f"postgresql+psycopg://deslab@127.0.0.1:{port}/jobs"
    finally:
        try:  # signal the postmaster itself (runuser does not pass signals on)
            pid = int((datadir / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGINT)  # fast shutdown
        except (OSError, ValueError, IndexError):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Each store test runs against SQLite and a real PostgreSQL (fresh database each)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    base = request.getfixturevalue("postgres_url")
    import sqlalchemy as sa

    name = "t" + secrets.token_hex(6)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


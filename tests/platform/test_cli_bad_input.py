"""`deslab-hub up` with bad input: one line saying what to do, non-zero exit, nothing written."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.platform.platform_helpers import (
    DESLAB_HUB,
    REPO,
    VENV_BIN,
    free_port,
    make_reachable,
    venv_env,
)


def run_up(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DESLAB_HUB), "up", *args],
        capture_output=True,
        text=True,
        env=env or venv_env(),
        cwd=REPO,
        timeout=60,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_help_documents_the_options() -> None:
    proc = subprocess.run(
        [str(DESLAB_HUB), "up", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for option in ("--port", "--ip", "--data-dir", "--users", "--idle-timeout", "--catalog"):
        assert option in proc.stdout


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = run_up("--port", str(port), "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(proc, str(port), "in use", "--port")
    assert not (tmp_path / "data").exists()


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = run_up("--port", str(free_port()), "--data-dir", str(blocker / "data"))
    assert_one_line_error(proc, "data directory", "--data-dir")
    assert blocker.read_text() == "not a directory"


def test_corrupted_hub_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "jupyterhub.sqlite"
    garbage = b"this is not a sqlite database" * 100
    db.write_bytes(garbage)
    proc = run_up("--port", str(free_port()), "--data-dir", str(data))
    assert_one_line_error(proc, "corrupted", str(db))
    assert db.read_bytes() == garbage
    assert sorted(os.listdir(data)) == ["jupyterhub.sqlite"]


def test_missing_nodejs(tmp_path: Path) -> None:
    env = venv_env()
    env["PATH"] = str(VENV_BIN)  # the venv only: no node
    proc = run_up("--port", str(free_port()), "--data-dir", str(tmp_path / "data"), env=env)
    assert_one_line_error(proc, "Node.js", "make setup")
    assert not (tmp_path / "data").exists()


def test_invalid_port(tmp_path: Path) -> None:
    proc = run_up("--port", "70000", "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(proc, "70000")
    assert not (tmp_path / "data").exists()


def test_stopped_while_generating_the_demo_survey_leaves_nothing_half_written(
    tmp_path: Path,
) -> None:
    import signal
    import time

    import psutil

    data = tmp_path / "data"
    make_reachable(tmp_path)  # as root, user accounts must reach the data directory
    proc = subprocess.Popen(
        [str(DESLAB_HUB), "up", "--port", str(free_port()), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=venv_env(),
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    children: list[psutil.Process] = []
    while time.monotonic() < deadline and not children:
        if list(data.glob(".demo-*")):
            children = psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.05)
    assert children, "the demo survey generation never started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert err.strip().splitlines()[-1] == "deslab-hub up: interrupted"
    assert not (data / "demo").exists()
    assert not list(data.glob(".demo-*"))
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]

"""Stopping `deslab-hub up` with user servers, kernels and a job running: SIGTERM (or Ctrl-C)
stops everything within 10 s with no traceback; a second Ctrl-C stops at once; either way
no proxy, culler, service, server, kernel or worker is left, and nothing is re-parented to
init.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil
import pytest
from deslab_hub.config import PLATFORM_ENV

from tests.platform.platform_helpers import HubUser, Kernel, Platform, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STOP_LIMIT = 10.0


def busy_platform(base: Path, demo_survey: Path) -> Platform:
    """A platform with two users' servers, a kernel each and a long job executing."""
    (base / "data").mkdir(parents=True)
    (base / "data" / "demo").symlink_to(demo_survey, target_is_directory=True)
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "deslab-hub.log")
    p.start(timeout=180)
    password = (p.data_dir / "password").read_text().strip()
    people = [HubUser(p, name) for name in ("alice", "bob")]
    for u in people:
        u.login(password, follow=False)
        u.create_token()
        u.request_server()
    for u in people:
        u.wait_server()
        kernel = Kernel.start(u)
        assert kernel.execute("print('ready')")["stdout"] == "ready\n"
    # a query over 10^10 row pairs keeps a worker busy while the platform stops
    out = kernel.execute(
        "import deslab\n"
        "job = deslab.submit_query('SELECT COUNT(*) AS n FROM DR2_MAIN a, DR2_MAIN b "
        "WHERE a.RA + b.DEC > 1000', output='n.csv')\n"
        "import time\n"
        "for _ in range(600):\n"
        "    if job.phase == 'EXECUTING': break\n"
        "    time.sleep(0.1)\n"
        "print(job.phase)",
        timeout=90,
    )
    assert out["stdout"].strip() == "EXECUTING", out
    p.remember_processes()
    return p


def platform_orphans(data_dir: Path) -> list[str]:
    """Processes of this platform re-parented to init (or anywhere) after it stopped."""
    left = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get(PLATFORM_ENV) == str(data_dir):
                left.append(f"{proc.pid} ppid {proc.ppid()} {' '.join(proc.cmdline())[:100]}")
        except (psutil.Error, OSError):
            continue
    return left


def log_after(platform: Platform, marker: str) -> str:
    text = platform.log_text()
    assert marker in text, platform.log_tail()
    return text[text.index(marker):]


def test_sigterm_stops_everything_within_10_s(tmp_path: Path, demo_survey: Path) -> None:
    platform = busy_platform(tmp_path, demo_survey)
    try:
        assert len(platform.started_pids) >= 8  # proxy, 2 services, 2 servers, 2 kernels, worker
        start = time.monotonic()
        platform.proc.send_signal(signal.SIGTERM)
        rc = platform.proc.wait(timeout=60)
        took = time.monotonic() - start
        platform.log.close()
        print(f"SIGTERM with 2 servers, 2 kernels and a job running: stopped in {took:.1f} s")
        assert took < STOP_LIMIT, platform.log_tail()
        assert rc == 0, platform.log_tail()
        assert "Traceback" not in log_after(platform, "stopping everything")
        assert platform.leftovers() == []
        assert platform_orphans(platform.data_dir) == []
    finally:
        platform.stop()
        platform.remove_accounts()


def test_a_second_ctrl_c_stops_at_once(tmp_path: Path, demo_survey: Path) -> None:
    platform = busy_platform(tmp_path, demo_survey)
    try:
        platform.proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30
        while "stopping everything" not in platform.log_text():
            assert time.monotonic() < deadline, platform.log_tail()
            time.sleep(0.05)
        start = time.monotonic()
        platform.proc.send_signal(signal.SIGINT)
        rc = platform.proc.wait(timeout=60)
        took = time.monotonic() - start
        platform.log.close()
        print(f"second Ctrl-C: stopped in {took:.2f} s")
        assert took < 3.0, platform.log_tail()
        assert rc == 128 + signal.SIGINT
        tail = log_after(platform, "stopping everything")
        assert "stopping at once" in tail
        assert "Traceback" not in tail
        assert platform.leftovers() == []
        assert platform_orphans(platform.data_dir) == []
    finally:
        platform.stop()
        platform.remove_accounts()

"""A platform with a short idle timeout: idle servers are culled; a restart reuses secrets."""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import time

import pytest
import requests

from tests.platform.platform_helpers import DESLAB_HUB, HubUser, Platform, free_port, venv_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRETS = [
    "password",
    "secrets/cookie_secret",
    "secrets/proxy_auth_token",
    "secrets/jobs_api_token",
    "secrets/idle_culler_api_token",
]


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Platform:
    base = tmp_path_factory.mktemp("platform-restart")
    # a small demo survey, generated on first start, and a culler that acts in seconds
    args = ["--demo-rows", "2000", "--demo-tiles", "1"]
    args += ["--idle-timeout", "8", "--cull-every", "2", "--users", "alice,carol"]
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "hub.log", args=args)
    p.start()
    yield p
    p.stop()


def test_a_second_platform_on_the_same_data_dir_is_refused(platform: Platform) -> None:
    proc = subprocess.run(
        [str(DESLAB_HUB), "up", "--port", str(free_port()), "--data-dir", str(platform.data_dir)],
        capture_output=True, text=True, env=venv_env(), timeout=60,
    )
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "another deslab-hub" in proc.stderr
    assert requests.get(platform.url + "hub/health", timeout=10).status_code == 200


def test_users_option_restricts_who_logs_in(platform: Platform) -> None:
    password = (platform.data_dir / "password").read_text().strip()
    outsider = HubUser(platform, "bob")
    outsider.login(password)
    assert not outsider.logged_in()
    assert "log in with alice, carol" in platform.log_text()


def test_idle_server_is_culled(platform: Platform) -> None:
    password = (platform.data_dir / "password").read_text().strip()
    u = HubUser(platform, "carol")
    u.login(password)
    assert u.logged_in()
    u.create_token()
    # on a busy machine the server may take longer to start than the 8 s idle timeout, and
    # then the culler stops it as soon as it is ready: wait for the cull, not for readiness
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        platform.remember_processes()
        culled = "Culling server carol" in platform.log_text()
        if culled and not u.api("GET", "hub/api/users/carol").json()["servers"]:
            break
        time.sleep(1)
    else:
        pytest.fail("the idle server was not culled within 180 s")
    assert re.search(r"User carol took [\d.]+ seconds to start", platform.log_text())


def test_secrets_are_private_and_reused_across_restarts(platform: Platform) -> None:
    password = (platform.data_dir / "password").read_text().strip()
    alice = HubUser(platform, "alice")
    alice.login(password)
    assert alice.logged_in()
    before = {name: (platform.data_dir / name).read_text() for name in SECRETS}
    for name in SECRETS:
        mode = stat.S_IMODE((platform.data_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    assert stat.S_IMODE((platform.data_dir / "secrets").stat().st_mode) == 0o700

    assert "generating the demo survey" in platform.log_text()
    catalog = platform.data_dir / "demo" / "catalog.duckdb"
    generated = catalog.stat().st_mtime_ns
    assert (platform.data_dir / "demo" / "tiles").is_dir()
    assert not list(platform.data_dir.glob(".demo-*"))

    assert platform.stop(signal.SIGTERM) == 0, platform.log_tail()
    assert platform.leftovers() == []

    platform.log_path.write_text("")
    platform.start()
    after = {name: (platform.data_dir / name).read_text() for name in SECRETS}
    assert after == before
    assert catalog.stat().st_mtime_ns == generated  # the demo survey is generated once
    assert platform.log_text().count("generating the demo survey") == 0
    assert "generated now" not in platform.log_text()
    # the old browser session survives the restart: same cookie secret, same database
    r = alice.session.get(platform.url + "hub/home", allow_redirects=False, timeout=30)
    assert r.status_code == 200, r.headers.get("Location")



def test_a_restart_after_kill_9_stops_what_the_dead_run_left(platform: Platform) -> None:
    password = (platform.data_dir / "password").read_text().strip()
    alice = HubUser(platform, "alice")
    alice.login(password)
    alice.create_token()
    alice.wait_server()
    orphans = {p.pid for p in platform.descendants()}
    assert len(orphans) >= 4  # proxy, job service, culler, alice's server
    platform.proc.send_signal(signal.SIGKILL)
    platform.proc.wait()
    platform.log.close()

    try:
        platform.start()
        left = [pid for pid in orphans if _alive(pid)]
        assert left == [], platform.log_tail()
    finally:  # whatever happened, leave none of the dead run's processes behind
        _kill([pid for pid in orphans if _alive(pid)])
    # the hub's record of alice's server was cleared, so she can start a fresh one
    alice = HubUser(platform, "alice")
    alice.login(password, follow=False)
    alice.create_token()
    servers = alice.api("GET", "hub/api/users/alice").json()["servers"]
    assert servers == {}, json.dumps(servers)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kill(pids: list[int]) -> None:
    import psutil

    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
            procs[-1].kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)

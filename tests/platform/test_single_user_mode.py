"""Not started as root, the platform says so and runs in single-user mode: one account (the
one that started it), only its name may log in, everything runs as it. Tested by starting
`deslab-hub up` as an unprivileged account of its own (setpriv), removed afterwards."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.platform.platform_helpers import (
    HubUser,
    Kernel,
    Platform,
    free_port,
    unique_prefix,
    venv_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def operator(tmp_path_factory):
    """An unprivileged account (unique name) to start the platform with."""
    assert os.geteuid() == 0, "the test creates an account to run the platform as (CI is root)"
    name = unique_prefix().rstrip("-") + "op"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)
    with pytest.raises(KeyError):
        pwd.getpwnam(name)


@pytest.fixture(scope="module")
def platform(tmp_path_factory, demo_survey: Path, operator):
    base = tmp_path_factory.mktemp("single-user")
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "deslab-hub.log",
                 args=["--idle-timeout", "0"])
    p.data_dir.mkdir(exist_ok=True)
    shutil.copytree(demo_survey, p.data_dir / "demo")
    for root, dirs, files in os.walk(p.data_dir):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, operator.pw_uid, operator.pw_gid)
    env = venv_env(HOME=str(p.data_dir), USER=operator.pw_name)
    p.start(timeout=180, env=env, prefix=[
        "setpriv", f"--reuid={operator.pw_uid}", f"--regid={operator.pw_gid}",
        "--init-groups", "--",
    ])
    try:
        yield p
    finally:
        p.stop()


def test_start_says_it_is_single_user_mode(platform: Platform, operator) -> None:
    log = platform.log_text()
    assert "SINGLE-USER MODE: not started as root" in log
    assert f"only {operator.pw_name!r} may log in" in log
    assert "single-user mode: everything runs as this Unix account" in log


def test_only_the_operator_logs_in_and_everything_runs_as_them(
    platform: Platform, operator
) -> None:
    password = (platform.data_dir / "password").read_text().strip()
    other = HubUser(platform, "someone-else")
    other.login(password, follow=False)
    assert not other.logged_in()
    me = HubUser(platform, operator.pw_name)
    me.login(password, follow=False)
    assert me.logged_in(), platform.log_tail()
    me.create_token()
    me.request_server()
    me.wait_server()
    kernel = Kernel.start(me)
    try:
        out = kernel.execute(
            "import os, deslab\n"
            "t = deslab.query('SELECT COUNT(*) AS n FROM DR2_MAIN')\n"
            "print(os.getuid(), int(t[t.colnames[0]][0]))"
        )
    finally:
        kernel.shutdown()
    assert out["error"] is None, out.get("traceback")
    uid, rows = map(int, out["stdout"].split())
    assert uid == operator.pw_uid and rows > 0
    for proc in platform.descendants():
        assert proc.uids().real == operator.pw_uid
        assert "--allow-root" not in " ".join(proc.cmdline())

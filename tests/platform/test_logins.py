"""Real logins: each user's own password (hashed, set at first login or by the operator), an
admin named at start; and the shared demo password refused on a network address."""

from __future__ import annotations

import dbm
import subprocess
from pathlib import Path

import pytest

from tests.platform.platform_helpers import (
    DESLAB_HUB,
    REPO,
    HubUser,
    Platform,
    free_port,
    venv_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN = "boss"


@pytest.fixture(scope="module")
def platform(tmp_path_factory, demo_survey: Path):
    base = tmp_path_factory.mktemp("logins")
    (base / "data").mkdir()
    (base / "data" / "demo").symlink_to(demo_survey, target_is_directory=True)
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "deslab-hub.log",
                 args=["--login", "personal", "--admin", ADMIN, "--idle-timeout", "0"])
    p.start(timeout=180)
    try:
        yield p
    finally:
        p.stop()
        p.remove_accounts()


def test_admin_logs_in_with_the_generated_password(platform: Platform) -> None:
    path = platform.data_dir / "admin-password"
    assert path.stat().st_mode & 0o777 == 0o600
    assert not (platform.data_dir / "password").exists()  # no shared password
    admin = HubUser(platform, ADMIN)
    admin.login(path.read_text().strip(), follow=False)
    assert admin.logged_in(), platform.log_tail()
    admin.create_token()
    assert admin.api("GET", "hub/api/user").json()["admin"] is True
    # nobody can take the admin's name with another password
    intruder = HubUser(platform, ADMIN)
    intruder.login("another-password", follow=False)
    assert not intruder.logged_in()


def test_a_new_user_sets_a_password_at_first_login(platform: Platform) -> None:
    first = HubUser(platform, "erin")
    r = first.login("short", follow=False)
    assert not first.logged_in()
    assert "at least 8 characters" in r.text
    first.login("erins-own-secret", follow=False)
    assert first.logged_in(), platform.log_tail()
    first.create_token()
    assert first.api("GET", "hub/api/user").json()["admin"] is False
    wrong = HubUser(platform, "erin")
    r = wrong.login("someone-elses-guess", follow=False)
    assert not wrong.logged_in()
    again = HubUser(platform, "erin")
    again.login("erins-own-secret", follow=False)
    assert again.logged_in()
    # stored hashed (bcrypt), never as given
    with dbm.open(str(platform.data_dir / "secrets" / "passwords.dbm"), "r") as db:
        stored = db[b"erin"]
    assert stored.startswith(b"$2") and b"erins-own-secret" not in stored


def test_the_operator_sets_a_users_password(platform: Platform) -> None:
    HubUser(platform, "fred").login("freds-first-pass", follow=False)
    proc = subprocess.run(
        [str(DESLAB_HUB), "set-password", "fred", "--data-dir", str(platform.data_dir)],
        input="freds-new-pass\n", capture_output=True, text=True, env=venv_env(), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    old = HubUser(platform, "fred")
    old.login("freds-first-pass", follow=False)
    assert not old.logged_in()
    new = HubUser(platform, "fred")
    new.login("freds-new-pass", follow=False)
    assert new.logged_in()


def test_the_login_page_says_how_to_log_in(platform: Platform) -> None:
    import requests

    page = requests.get(platform.url + "hub/login", timeout=30).text
    assert "your own password" in page


def test_shared_password_is_refused_on_a_network_address(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(DESLAB_HUB), "up", "--ip", "0.0.0.0", "--port", str(free_port()),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, env=venv_env(), cwd=REPO, timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "--login personal" in lines[0] and "--shared-password-on-network" in lines[0]
    assert "any user" in lines[0]
    assert not (tmp_path / "data").exists()

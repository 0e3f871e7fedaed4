"""One Unix account per user: a real `deslab-hub up` started as root, two users logged in
through the form, each with a real JupyterLab server; from alice's kernel and from her
terminal, bob's home, the hub's secrets and databases and the catalog are out of reach,
while her own notebooks, queries, jobs and results work.

The platform's accounts use a prefix of their own and are removed (``userdel -r``) when the
module ends, so the machine is left as it was.
"""

from __future__ import annotations

import os
import pwd
import re
import stat
from pathlib import Path

import psutil
import pytest
from deslab_hub.accounts import (
    DEFAULT_PREFIX,
    account_name,
    ensure_account,
    lookup,
    remove_accounts,
)

from tests.platform.platform_helpers import (
    HubUser,
    Kernel,
    Platform,
    Terminal,
    free_port,
    unique_prefix,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# useradd's rule for names (Debian's NAME_REGEX) and its length limit
USERADD_NAME = re.compile(r"^[a-z][-a-z0-9_]{0,31}$")

AWKWARD_NAMES = [
    "alice", "Alice", "ALICE", "a.b", "a-b", "a_b", "a@b", "j.doe@example.org",
    "J.Doe@Example.org", "élodie", "Élodie", "用户", "x" * 29, "x" * 30, "x" * 300, "1abc",
    "", "-", "..", "a b", "a/b", "dl-alice", "root",
]


def test_account_names_are_valid_and_distinct_for_any_hub_name() -> None:
    names = {hub: account_name(hub) for hub in AWKWARD_NAMES}
    for hub, acct in names.items():
        assert USERADD_NAME.fullmatch(acct), (hub, acct)
        assert acct.startswith(DEFAULT_PREFIX)
    # names differing by case, or by characters the slug drops, get different accounts
    assert len(set(names.values())) == len(AWKWARD_NAMES)
    assert names["alice"] == "dl-alice"
    assert names["root"] == "dl-root"
    # the same hub name always gives the same account
    assert all(account_name(hub) == acct for hub, acct in names.items())


def test_an_awkward_hub_name_gets_a_working_account(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "creating accounts needs root (CI runs as root)"
    homes = tmp_path / "users"
    homes.mkdir()
    prefix = unique_prefix()
    try:
        account = ensure_account("J.Doe@Example.org", homes, prefix)
        entry = pwd.getpwnam(account.name)
        assert account.uid == entry.pw_uid != 0
        home = Path(entry.pw_dir)
        assert home.parent == homes
        st = home.stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (account.uid, 0o700)
        # a second login finds the same account
        assert ensure_account("J.Doe@Example.org", homes, prefix) == account
        # the lower-case name is another user, another account
        other = ensure_account("j.doe@example.org", homes, prefix)
        assert other.uid != account.uid
    finally:
        removed = remove_accounts(homes)
    assert lookup(account_name("J.Doe@Example.org", prefix)) is None
    assert len(removed) == 2


# ---------------------------------------------------------------------------------------
# through the real platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory, demo_survey: Path):
    if os.geteuid() != 0:
        pytest.fail("these tests start the platform as root (CI runs as root)")
    base = tmp_path_factory.mktemp("accounts")
    (base / "data").mkdir()
    (base / "data" / "demo").symlink_to(demo_survey, target_is_directory=True)
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "deslab-hub.log")
    p.start(timeout=180)
    try:
        yield p
    finally:
        p.stop()
        p.remove_accounts()
    assert not [a for a in (p.account("alice"), p.account("bob")) if lookup(a)]


@pytest.fixture(scope="module")
def users(platform: Platform) -> dict[str, HubUser]:
    password = (platform.data_dir / "password").read_text().strip()
    people = {name: HubUser(platform, name) for name in ("alice", "bob")}
    for u in people.values():
        u.login(password)
        assert u.logged_in(), platform.log_tail()
        u.create_token()
        u.request_server()
    for u in people.values():
        u.wait_server()
    return people


@pytest.fixture(scope="module")
def kernel(users: dict[str, HubUser]):
    k = Kernel.start(users["alice"])
    yield k
    k.shutdown()


@pytest.fixture(scope="module")
def terminal(users: dict[str, HubUser]):
    t = Terminal(users["alice"])
    yield t
    t.close()


def test_start_says_users_get_accounts(platform: Platform) -> None:
    log = platform.log_text()
    assert "every user gets a Unix account of their own" in log
    assert "SINGLE-USER" not in log


def test_each_server_and_kernel_runs_as_its_users_account(
    platform: Platform, users: dict[str, HubUser], kernel: Kernel
) -> None:
    out = kernel.execute("import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name, os.getuid())")
    assert out["error"] is None, out.get("traceback")
    name, uid = out["stdout"].split()
    assert name == platform.account("alice") and int(uid) != 0
    for user in users:
        home = platform.home(user)
        st = home.stat()
        assert stat.S_IMODE(st.st_mode) == 0o700
        assert st.st_uid == pwd.getpwnam(platform.account(user)).pw_uid
    # no server, kernel or terminal of the platform runs as root or with --allow-root
    root_pid = platform.proc.pid
    for proc in psutil.Process(root_pid).children(recursive=True):
        cmd = " ".join(proc.cmdline())
        assert "--allow-root" not in cmd
        if "jupyterhub-singleuser" in cmd or "ipykernel" in cmd:
            assert proc.uids().real != 0 and proc.uids().effective != 0, cmd


def secret_paths(platform: Platform) -> dict[str, Path]:
    data = platform.data_dir
    return {
        "cookie secret": data / "secrets" / "cookie_secret",
        "jobs token": data / "secrets" / "jobs_api_token",
        "hub database": data / "jupyterhub.sqlite",
        "job database": data / "jobs.sqlite",
        "password": data / "password",
    }


def test_from_alices_kernel_other_homes_secrets_and_databases_are_out_of_reach(
    platform: Platform, users: dict[str, HubUser], kernel: Kernel
) -> None:
    (platform.home("bob") / "private.txt").write_text("bob's")
    tries = {name: f"open({str(path)!r}, 'rb').read()" for name, path in
             secret_paths(platform).items()}
    tries["bob's home"] = f"os.listdir({str(platform.home('bob'))!r})"
    tries["bob's file"] = f"open({str(platform.home('bob') / 'private.txt')!r}).read()"
    tries["catalog write"] = (
        f"open({str(platform.data_dir / 'demo' / 'catalog.duckdb')!r}, 'r+b').write(b'x')"
    )
    tries["catalog dir write"] = (
        f"open({str(platform.data_dir / 'demo' / 'planted.txt')!r}, 'w')"
    )
    tries["secrets listing"] = f"os.listdir({str(platform.data_dir / 'secrets')!r})"
    for what, code in tries.items():
        out = kernel.execute(f"import os\n{code}")
        assert out["error"] and out["error"].startswith("PermissionError"), (what, out)
    assert not (platform.data_dir / "demo" / "planted.txt").exists()


def test_from_alices_terminal_the_same_is_refused(
    platform: Platform, users: dict[str, HubUser], terminal: Terminal
) -> None:
    assert terminal.run("id -un").split()[-1] == platform.account("alice")
    commands = [f"cat {p}" for p in secret_paths(platform).values()]
    commands += [
        f"ls {platform.home('bob')}",
        f"cat {platform.home('bob') / 'private.txt'}",
        f"echo x >> {platform.data_dir / 'demo' / 'catalog.duckdb'}",
        f"touch {platform.data_dir / 'demo' / 'planted.txt'}",
        f"ls {platform.data_dir / 'secrets'}",
    ]
    for command in commands:
        out = terminal.run(command)
        assert "Permission denied" in out, (command, out)
    assert "bob's" not in terminal.run(f"cat {platform.home('bob') / 'private.txt'} 2>&1")


def test_the_catalog_and_tiles_stay_readable(kernel: Kernel) -> None:
    out = kernel.execute(
        "import deslab\n"
        "t = deslab.query('SELECT COUNT(*) AS n FROM DR2_MAIN')\n"
        "print(int(t[t.colnames[0]][0]))\n"
        "print(len(deslab.tiles_at(0.0, 0.0)) >= 0)"
    )
    assert out["error"] is None, out.get("traceback")
    assert int(out["stdout"].split()[0]) > 0


def test_alices_notebooks_jobs_and_results_work_and_are_hers(
    platform: Platform, users: dict[str, HubUser], kernel: Kernel
) -> None:
    alice = users["alice"]
    r = alice.server_api("PUT", "api/contents/mine.ipynb", json={
        "type": "notebook", "format": "json",
        "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    })
    assert r.status_code in (200, 201), r.text
    uid = pwd.getpwnam(platform.account("alice")).pw_uid
    assert (platform.home("alice") / "mine.ipynb").stat().st_uid == uid
    out = kernel.execute(
        "job = deslab.submit_query('SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 5', "
        "output='five.csv')\n"
        "job.wait(timeout=120, progress=False)\n"
        "print(job.phase, job.id, *[p.name for p in job.results])",
        timeout=150,
    )
    assert out["error"] is None, out.get("traceback")
    phase, job_id, *files = out["stdout"].split()
    assert phase == "COMPLETED", out
    job_dir = platform.home("alice") / "jobs" / job_id
    assert "five.csv" in files
    # written by the worker running as alice: the directory and results are hers
    for path in (job_dir.parent, job_dir, job_dir / "five.csv"):
        assert path.stat().st_uid == uid, path
    rows = [ln for ln in (job_dir / "five.csv").read_text().splitlines() if ln[:1] != "#"]
    assert len(rows) == 6  # the header and five rows
    # and her kernel reads them
    out = kernel.execute(
        f"print(sum(1 for ln in open('jobs/{job_id}/five.csv') if not ln.startswith('#')))"
    )
    assert out["stdout"].strip() == "6", out


def test_bob_cannot_read_alices_job_results(
    platform: Platform, users: dict[str, HubUser]
) -> None:
    bob = Kernel.start(users["bob"])
    try:
        out = bob.execute(f"import os; os.listdir({str(platform.home('alice') / 'jobs')!r})")
    finally:
        bob.shutdown()
    assert out["error"] and out["error"].startswith("PermissionError"), out


def test_a_home_of_an_earlier_version_moves_to_the_account(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "creating accounts needs root (CI runs as root)"
    homes = tmp_path / "users"
    (homes / "carol" / "notes").mkdir(parents=True)
    (homes / "carol" / "notes" / "n.txt").write_text("kept")
    (homes / "carol" / "link").symlink_to("/etc/hostname")
    try:
        account = ensure_account("carol", homes, unique_prefix())
        home = Path(account.home)
        assert not (homes / "carol").exists()
        assert (home / "notes" / "n.txt").read_text() == "kept"
        for path in (home, home / "notes", home / "notes" / "n.txt", home / "link"):
            assert path.lstat().st_uid == account.uid, path
        assert Path("/etc/hostname").stat().st_uid == 0  # the link was not followed
        # a hub name that looks like another account never takes that account's home
        prefix = account.name[: account.name.index("-") + 1]
        other = ensure_account(account.name, homes, prefix)
        assert Path(other.home) != home and (home / "notes" / "n.txt").exists()
        assert home.stat().st_uid == account.uid
    finally:
        remove_accounts(homes)

"""End to end: `deslab-hub up`, two users log in, query the catalog in their kernels, cannot
reach each other's servers, run the tutorials; then Ctrl-C stops everything it started.

One platform serves the whole module (spawning JupyterLab servers takes seconds); the last
test stops it, so the tests run in file order.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.platform.platform_helpers import REPO, HubUser, Kernel, Platform, free_port

TUTORIALS = sorted((REPO / "extensions/deslab/deslab/tutorials").glob("*.ipynb"))

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def platform(tmp_path_factory, demo_survey: Path) -> Platform:
    """The platform, with the session's demo survey in its data directory (generating it
    on first start is tested in test_restart_and_culling.py)."""
    base = tmp_path_factory.mktemp("platform")
    (base / "data").mkdir()
    (base / "data" / "demo").symlink_to(demo_survey, target_is_directory=True)
    p = Platform(data_dir=base / "data", port=free_port(), log_path=base / "deslab-hub.log")
    p.start(timeout=180)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def password(platform: Platform) -> str:
    return (platform.data_dir / "password").read_text().strip()


@pytest.fixture(scope="module")
def users(platform: Platform, password: str) -> dict[str, HubUser]:
    """Two users logged in through the form, each with a running server."""
    people = {name: HubUser(platform, name) for name in ("alice", "bob")}
    for u in people.values():
        u.login(password)
        assert u.logged_in(), f"{u.name} could not log in:\n{platform.log_tail()}"
        u.create_token()
        u.request_server()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda u: u.wait_server(), people.values()))
    platform.remember_processes()
    return people


def demo_rows(platform: Platform) -> int:
    # counted in a process of its own: this test process may hold the same survey open
    # through deslab with another DuckDB configuration, which DuckDB refuses to mix
    path = platform.data_dir / "demo" / "catalog.duckdb"
    code = (f"import duckdb; con = duckdb.connect({str(path)!r}, read_only=True); "
            "print(con.execute('SELECT COUNT(*) FROM DR2_MAIN').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    return int(out.stdout)


def test_banner_tells_how_to_log_in(platform: Platform, password: str) -> None:
    log = platform.log_text()
    assert f"DESlab is running at {platform.url}" in log
    assert password in log
    assert (platform.data_dir / "password").stat().st_mode & 0o777 == 0o600


def test_wrong_password_is_refused(platform: Platform) -> None:
    u = HubUser(platform, "mallory")
    r = u.login("not-the-password")
    assert not u.logged_in()
    assert "Invalid username or password" in r.text


def test_job_service_answers_health_through_the_proxy(platform: Platform) -> None:
    import requests

    r = requests.get(platform.url + "services/jobs/api/health", timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"


def test_each_user_queries_the_demo_catalog_in_their_kernel(
    platform: Platform, users: dict[str, HubUser]
) -> None:
    expected = demo_rows(platform)
    assert expected > 0
    for u in users.values():
        kernel = Kernel.start(u)
        try:
            out = kernel.execute(
                "import os, deslab\n"
                "t = deslab.query('SELECT COUNT(*) AS n FROM DR2_MAIN')\n"
                "print(int(t[t.colnames[0]][0]), os.environ['DESLAB_HOME'], os.getcwd())"
            )
        finally:
            kernel.shutdown()
        assert out["error"] is None, out.get("traceback")
        n, home, cwd = out["stdout"].split()
        assert int(n) == expected
        assert Path(home) == platform.home(u.name)
        assert Path(cwd) == Path(home)


def test_user_server_offers_the_des_kernel_and_the_lab_extension(
    users: dict[str, HubUser],
) -> None:
    u = users["alice"]
    specs = u.server_api("GET", "api/kernelspecs").json()["kernelspecs"]
    assert "deslab" in specs, sorted(specs)
    assert specs["deslab"]["spec"]["display_name"] == "DES Python"
    lab = u.server_api("GET", "lab")
    assert lab.status_code == 200
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>',
                                  lab.text, re.S).group(1))
    assert "deslab" in [e["name"] for e in config.get("federated_extensions", [])]


def test_lab_fetches_no_news_and_checks_no_updates(users: dict[str, HubUser]) -> None:
    """Nothing is fetched from the internet at run time: the lab's news feed is off."""
    r = users["alice"].server_api(
        "GET", "lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert r.status_code == 200, r.text
    defaults = {k: v.get("default") for k, v in r.json()["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False


def test_user_server_token_can_call_the_job_service(users: dict[str, HubUser]) -> None:
    """The token inside a user's server (JUPYTERHUB_API_TOKEN) reaches the job service."""
    u = users["alice"]
    kernel = Kernel.start(u)
    try:
        out = kernel.execute(
            "import os, json, urllib.request\n"
            "req = urllib.request.Request(os.environ['DESLAB_JOBS_URL'] + 'api/jobs',\n"
            "    headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN']})\n"
            "with urllib.request.urlopen(req, timeout=30) as r:\n"
            "    print(r.status)\n"
        )
    finally:
        kernel.shutdown()
    assert out["error"] is None, out.get("traceback")
    assert out["stdout"].strip() == "200"


def test_query_job_from_a_kernel_lands_in_the_users_home(
    platform: Platform, users: dict[str, HubUser]
) -> None:
    """The service's workers see the catalog; results land in ~/jobs/<id>/ of the owner."""
    kernel = Kernel.start(users["alice"])
    try:
        out = kernel.execute(
            "import deslab\n"
            "job = deslab.submit_query('SELECT COUNT(*) AS n FROM DR2_MAIN', output='n.csv')\n"
            "job.wait(timeout=90, progress=False)\n"
            "print(job.phase, job.id, *[p.name for p in job.results])",
            timeout=120,
        )
    finally:
        kernel.shutdown()
    assert out["error"] is None, out.get("traceback")
    phase, job_id, *files = out["stdout"].split()
    assert phase == "COMPLETED"
    job_dir = platform.home("alice") / "jobs" / job_id
    assert files and all((job_dir / f).is_file() for f in files)
    csv = [f for f in files if f.endswith(".csv")]
    assert csv, files
    assert str(demo_rows(platform)) in (job_dir / csv[0]).read_text()


def test_one_user_cannot_reach_another_users_server(users: dict[str, HubUser]) -> None:
    alice, bob = users["alice"], users["bob"]
    assert alice.server_api("GET", "api/status").status_code == 200
    r = requests_get_as(alice, bob.server_url + "api/status")
    assert r.status_code == 403
    r = requests_get_as(alice, bob.server_url + "api/contents")
    assert r.status_code == 403


def requests_get_as(user: HubUser, url: str):
    import requests

    return requests.get(url, headers=user.headers, timeout=30, allow_redirects=False)


def test_new_home_holds_the_tutorials(platform: Platform, users: dict[str, HubUser]) -> None:
    assert TUTORIALS, "extensions/deslab/deslab/tutorials/ holds no notebook"
    home = platform.home("alice") / "tutorials"
    assert sorted(p.name for p in home.glob("*.ipynb")) == [p.name for p in TUTORIALS]


@pytest.mark.parametrize("notebook", [p.name for p in TUTORIALS])
def test_tutorial_runs_in_a_user_server(users: dict[str, HubUser], notebook: str) -> None:
    """Run every code cell of the user's copy, in a kernel their server starts for it."""
    u = users["bob"]
    nb = json.loads((REPO / "extensions/deslab/deslab/tutorials" / notebook).read_text())
    kernel_name = nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    r = u.server_api(
        "POST",
        "api/sessions",
        json={
            "path": f"tutorials/{notebook}",
            "name": notebook,
            "type": "notebook",
            "kernel": {"name": kernel_name},
        },
    )
    assert r.status_code == 201, r.text
    session = r.json()
    kernel = Kernel(u, session["kernel"]["id"])
    try:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            out = kernel.execute(source, timeout=60)
            assert out["error"] is None, (
                f"{notebook} cell {i} failed: {out['error']}\n{source}\n{out.get('traceback')}"
            )
    finally:
        kernel.ws.close()
        u.server_api("DELETE", f"api/sessions/{session['id']}")


def test_ctrl_c_stops_everything_it_started(
    platform: Platform, users: dict[str, HubUser]
) -> None:
    # a kernel still running when the platform stops (it runs in its own session)
    kernel = Kernel.start(users["alice"])
    assert kernel.execute("print('busy')")["stdout"] == "busy\n"
    platform.remember_processes()
    # the hub, the proxy, both services, two user servers and the kernel
    assert len(platform.started_pids) >= 6
    rc = platform.stop(signal.SIGINT)
    assert rc == 0, platform.log_tail()
    assert platform.leftovers() == []

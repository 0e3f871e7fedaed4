"""Helpers of the job-service tests: a real JupyterHub with the job service, a real
PostgreSQL server, and helpers to call the API as different users.

The hub (started once per session, on free ports, in a temporary directory) runs

- ``jobs``: the job service as a hub-managed service (``python -m deslab_hub.jobs``);
- ``jobsx``: the same service registered as an external service, which tests start, kill
  (SIGKILL) and restart themselves with their own settings (:class:`ServiceProcess`);
- ``test-admin``: a token-only service with the scopes to create users and tokens.

Users are created through the hub's REST API; their tokens carry
``access:services!service=jobs`` (granted by the ``user`` role, as in the platform).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PY = str(VENV_BIN / "python")
CHP = str(VENV_BIN / "configurable-http-proxy")
SLOW_SQL = (
    "SELECT COUNT(*) AS N FROM DR2_MAIN a, DR2_MAIN b, DR2_MAIN c "
    "WHERE a.RA + b.RA + c.RA > 0.5 * (a.DEC - b.DEC)"
)

HUB_CONFIG = """
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.JupyterHub.db_url = "sqlite:///{root}/hub.sqlite"
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.pid_file = {hub_pid!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {{"root-admin"}}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [
    {{
        "name": "jobs",
        "url": "http://127.0.0.1:{jobs_port}",
        "command": [{py!r}, "-m", "deslab_hub.jobs"],
        "api_token": {jobs_token!r},
        "environment": {jobs_env!r},
    }},
    {{"name": "jobsx", "url": "http://127.0.0.1:{jobsx_port}", "api_token": {jobsx_token!r}}},
    {{"name": "test-admin", "api_token": {admin_token!r}}},
]
c.JupyterHub.load_roles = [
    {{
        "name": "user",
        "scopes": ["self", "access:services!service=jobs", "access:services!service=jobsx"],
    }},
    {{
        "name": "deslab-jobs",
        "scopes": ["list:users", "read:users"],
        "services": ["jobs", "jobsx"],
    }},
    {{
        "name": "test-admin",
        "scopes": ["admin:users", "tokens", "list:users", "read:users"],
        "services": ["test-admin"],
    }},
]
"""


def service_env(data_dir: Path, catalog: Path, **extra: str) -> dict[str, str]:
    """DESLAB_JOBS_* settings of a test job service (fast polling, short grace)."""
    env = {
        "DESLAB_JOBS_DATA_DIR": str(data_dir),
        "DESLAB_JOBS_HOME_TEMPLATE": "{data_dir}/users/{username}",
        "DESLAB_JOBS_DB_URL": f"sqlite:///{data_dir / 'jobs.sqlite'}",
        "DESLAB_JOBS_PYTHON": PY,
        "DESLAB_JOBS_POLL_INTERVAL": "0.2",
        "DESLAB_JOBS_CANCEL_GRACE": "4",
        "DESLAB_JOBS_MAX_RUNNING": "2",
        "DESLAB_JOBS_MAX_RUNNING_PER_USER": "2",
        "DESLAB_JOBS_SWEEP_INTERVAL": "1",
        "DESLAB_JOBS_HEARTBEAT": "1",
        "DESLAB_CATALOG": f"duckdb:///{catalog}",
        "PYTHONPATH": str(REPO),
    }
    env.update(extra)
    return env


@dataclass
class Hub:
    """A running JupyterHub with the job service."""

    root: Path
    url: str
    api_url: str
    admin_token: str
    jobsx_token: str
    jobsx_port: int
    catalog: Path
    proc: subprocess.Popen
    tokens: dict[str, str] = field(default_factory=dict)

    def hub_api(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        r = requests.request(method, self.api_url + path, headers=headers, timeout=30, **kw)
        return r

    def user(self, name: str, *, admin: bool = False, scopes: list[str] | None = None) -> str:
        """Create user ``name`` (if needed) and return a new token of theirs."""
        r = self.hub_api("GET", f"/users/{name}")
        if r.status_code == 404:
            r = self.hub_api("POST", f"/users/{name}", json={"admin": admin})
            assert r.status_code == 201, r.text
        elif admin and not r.json().get("admin"):
            r = self.hub_api("PATCH", f"/users/{name}", json={"admin": True})
            assert r.status_code == 200, r.text
        body: dict[str, Any] = {"note": "job service tests", "expires_in": 3600}
        if scopes is not None:
            body["scopes"] = scopes
        r = self.hub_api("POST", f"/users/{name}/tokens", json=body)
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def client(self, name: str, service: str = "jobs", **kw: Any) -> Client:
        return Client(f"{self.url}/services/{service}/api", self.user(name, **kw))


@dataclass
class Client:
    """Calls the job API with one token."""

    base: str
    token: str | None

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"token {self.token}")
        return requests.request(method, self.base + path, headers=headers,
                                timeout=kw.pop("timeout", 30), **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def submit(self, **body: Any) -> dict[str, Any]:
        body.setdefault("type", "query")
        r = self.post("/jobs", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def wait(self, job_id: str, phases: tuple[str, ...] = ("COMPLETED", "ERROR", "ABORTED"),
             timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(f"/jobs/{job_id}")
            assert r.status_code == 200, r.text
            job = r.json()
            if job["phase"] in phases:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['phase']} after {timeout} s")
            time.sleep(0.2)


def wait_http(url: str, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_pids(data_dir: Path) -> dict[str, int]:
    """Job id -> worker pid, as the job service recorded them in its database."""
    import sqlite3

    db = data_dir / "jobs.sqlite"
    if not db.exists():
        return {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
        rows = con.execute("SELECT id, worker_pid FROM jobs WHERE worker_pid IS NOT NULL")
        return {job_id: int(pid) for job_id, pid in rows}


def worker_pid(data_dir: Path, job_id: str, timeout: float = 30) -> int:
    """The pid of the worker running ``job_id`` (waits until the service recorded it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = worker_pids(data_dir).get(job_id)
        if pid:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"no worker recorded for job {job_id}")


def kill_leftover_workers(data_dir: Path) -> None:
    """Workers run in their own sessions; stop any that a test left behind."""
    for pid in worker_pids(data_dir).values():
        if pid > 1:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class ServiceProcess:
    """The ``jobsx`` job service, run by the test itself (so it can be killed and restarted)."""

    def __init__(self, hub: Hub, data_dir: Path, **settings: str) -> None:
        self.hub = hub
        self.data_dir = data_dir
        self.settings = settings
        self.proc: subprocess.Popen | None = None
        self.base = f"{hub.url}/services/jobsx/api"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
        env.update(service_env(self.data_dir, self.hub.catalog, **self.settings))
        env.update({
            "JUPYTERHUB_API_TOKEN": self.hub.jobsx_token,
            "JUPYTERHUB_API_URL": f"{self.hub.api_url}",
            "JUPYTERHUB_SERVICE_NAME": "jobsx",
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{self.hub.jobsx_port}",
            "JUPYTERHUB_SERVICE_PREFIX": "/services/jobsx/",
        })
        return env

    def start(self) -> ServiceProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "service.log", "ab")
        self.proc = subprocess.Popen([PY, "-m", "deslab_hub.jobs"], env=self.env(),
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir)
        log.close()
        wait_http(f"http://127.0.0.1:{self.hub.jobsx_port}/services/jobsx/api/health",
                  timeout=60, proc=self.proc)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def client(self, name: str, **kw: Any) -> Client:
        return Client(self.base, self.hub.user(name, **kw))


def start_hub(root: Path, catalog: Path, **settings: str) -> tuple[Hub, IO[bytes]]:
    """Start a JupyterHub (with proxy) running the job service, in ``root`` on free ports.

    The job service's data directory is ``root/data``; ``settings`` override its
    DESLAB_JOBS_* variables (see :func:`service_env`). Returns the hub (not yet waited for:
    use :func:`wait_http` on its health URL) and its open log file, which the caller closes.
    """
    data = root / "data"
    data.mkdir()
    ports = {k: free_port() for k in ("port", "hub_port", "proxy_api_port", "jobs_port",
                                      "jobsx_port")}
    tokens = {k: secrets.token_hex(24) for k in ("jobs_token", "jobsx_token", "admin_token",
                                                 "proxy_token")}
    cookie = root / "cookie_secret"
    cookie.write_text(secrets.token_hex(32))
    cookie.chmod(0o600)
    config = HUB_CONFIG.format(
        root=root, chp=CHP, py=PY, cookie=str(cookie), hub_pid=str(root / "hub.pid"),
        proxy_pid=str(root / "proxy.pid"),
        jobs_env=service_env(data, catalog, **settings), **ports, **tokens,
    )
    (root / "jupyterhub_config.py").write_text(config)
    log = open(root / "hub.log", "wb")  # noqa: SIM115 - closed by the caller
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    proc = subprocess.Popen(
        [PY, "-m", "jupyterhub", "-f", str(root / "jupyterhub_config.py")],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{ports['port']}"
    hub = Hub(root=root, url=url, api_url=f"{url}/hub/api", admin_token=tokens["admin_token"],
              jobsx_token=tokens["jobsx_token"], jobsx_port=ports["jobsx_port"],
              catalog=catalog, proc=proc)
    return hub, log

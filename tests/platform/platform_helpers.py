"""Drive a real `deslab-hub up` the way a user and a browser do: login form, REST, websockets."""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
import websocket
from deslab_hub.accounts import account_name, remove_accounts

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
DESLAB_HUB = VENV_BIN / "deslab-hub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env.update(extra)
    return env


def unique_prefix() -> str:
    """An account prefix no other test run uses (``t`` + 5 random characters + ``-``)."""
    return "t" + "".join(random.choices(string.ascii_lowercase + string.digits, k=5)) + "-"


def reachable_data_dir(path: Path) -> Path:
    """A data directory user accounts can reach, for ``path`` under pytest's temporary
    directories (which pytest resets to 0700 whenever a test session starts).

    The new directory is in a ``/tmp/deslab-platform-*`` directory of mode 0711; what
    ``path`` held is copied there (symlinks followed, e.g. a shared demo survey) and ``path``
    becomes a symlink to it.
    """
    root = Path(tempfile.mkdtemp(prefix="deslab-platform-", dir="/tmp"))
    os.chmod(root, 0o711)
    _TEMP_ROOTS.append(root)
    new = root / path.name
    if path.exists():
        shutil.copytree(path, new, symlinks=False)
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(new, target_is_directory=True)
    return new


def make_reachable(path: Path) -> None:
    """Let other accounts enter (not list) the directories above ``path`` (pytest's temporary
    directories are 0700), so that user accounts reach their homes and the demo survey."""
    for part in [path, *path.parents]:
        if part.exists() and part != Path("/") and not part.stat().st_mode & 0o001:
            os.chmod(part, part.stat().st_mode | 0o001)


# platforms whose system accounts (and temporary directories) go when the tests end
_PLATFORMS: list[Platform] = []
_TEMP_ROOTS: list[Path] = []


@atexit.register
def _remove_test_accounts() -> None:
    for platform in _PLATFORMS:
        platform.remove_accounts()
    for root in _TEMP_ROOTS:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Platform:
    """A `deslab-hub up` subprocess on a free port with its own data directory.

    Run as root, the platform creates a system account per user; each Platform uses an
    account prefix of its own (so test runs never share accounts) and its accounts are
    removed (``userdel -r``) by :meth:`remove_accounts`, at the latest when the tests end.
    """

    data_dir: Path
    port: int
    log_path: Path
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    started_pids: set[int] = field(default_factory=set)
    account_prefix: str = field(default_factory=unique_prefix)

    def __post_init__(self) -> None:
        if os.geteuid() == 0 and not self.data_dir.is_symlink():
            self.data_dir = reachable_data_dir(self.data_dir)
        elif self.data_dir.is_symlink():
            self.data_dir = self.data_dir.resolve()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def account(self, user: str) -> str:
        """The system account of hub user ``user``."""
        return account_name(user, self.account_prefix)

    def home(self, user: str) -> Path:
        """The home directory of hub user ``user``."""
        return self.data_dir / "users" / self.account(user)

    def remove_accounts(self) -> list[str]:
        """Delete this platform's system accounts and their homes."""
        return remove_accounts(self.data_dir / "users") if os.geteuid() == 0 else []

    def start(self, timeout: float = 120, env: dict[str, str] | None = None,
              prefix: list[str] | None = None) -> Platform:
        """Start ``deslab-hub up`` (behind ``prefix``, e.g. setpriv, if given)."""
        cmd = [str(DESLAB_HUB), "up", "--port", str(self.port), "--data-dir", str(self.data_dir),
               "--account-prefix", self.account_prefix]
        if os.geteuid() == 0:
            if self not in _PLATFORMS:
                _PLATFORMS.append(self)
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            (prefix or []) + cmd + self.args, stdout=self.log, stderr=subprocess.STDOUT,
            env=env or venv_env(), cwd=REPO,
        )
        if self.wait_healthy(timeout, "deslab-hub up",
                             lambda: "DESlab is running at" in self.log_text()):
            return self
        self.stop()
        raise AssertionError(f"deslab-hub up did not come up in {timeout} s:\n{self.log_tail()}")

    def wait_healthy(self, timeout: float, what: str,
                     ready: Callable[[], bool] = lambda: True) -> bool:
        """Poll until ``ready()`` and ``hub/health`` answers 200; False after ``timeout`` s.

        Raises AssertionError (with the log's tail) if the process ends meanwhile.
        """
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{what} exited early:\n{self.log_tail()}")
            if ready():
                try:
                    if requests.get(self.url + "hub/health", timeout=5).status_code == 200:
                        return True
                except requests.ConnectionError:
                    pass
            time.sleep(0.3)
        return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def descendants(self) -> list[psutil.Process]:
        assert self.proc is not None
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def remember_processes(self) -> None:
        """Record every process the platform runs now (checked after it stops)."""
        self.started_pids.update(p.pid for p in self.descendants())

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.remember_processes()
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                for p in self.descendants():
                    p.kill()
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def leftovers(self) -> list[str]:
        """Processes the platform started that are still running."""
        left = []
        for pid in self.started_pids:
            try:
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"{pid} {' '.join(p.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                pass
        return left


class HubUser:
    """A user who logs in through the login form, then uses the hub and their server."""

    def __init__(self, platform: Platform, name: str) -> None:
        self.platform = platform
        self.name = name
        self.session = requests.Session()
        self.token: str | None = None

    @property
    def url(self) -> str:
        return self.platform.url

    def login(self, password: str, follow: bool = True) -> requests.Response:
        """Log in through the form; following the redirect starts the server, as in a browser."""
        r = self.session.get(self.url + "hub/login", timeout=30)
        r.raise_for_status()
        m = re.search(r'name="_xsrf"\s+value="([^"]+)"', r.text)
        xsrf = m.group(1) if m else self.session.cookies.get("_xsrf", "")
        return self.session.post(
            self.url + "hub/login",
            data={"username": self.name, "password": password, "_xsrf": xsrf},
            timeout=30,
            allow_redirects=follow,
        )

    def logged_in(self) -> bool:
        return any(c.name.startswith("jupyterhub-hub-login") for c in self.session.cookies)

    def create_token(self) -> str:
        """A hub API token for this user, created with the browser session (as the UI does)."""
        xsrf = self.session.cookies.get("_xsrf", path="/hub/") or self.session.cookies.get(
            "_xsrf", ""
        )
        r = self.session.post(
            self.url + f"hub/api/users/{self.name}/tokens",
            json={"note": "tests", "expires_in": 3600},
            headers={"X-XSRFToken": xsrf, "Referer": self.url + "hub/token"},
            timeout=30,
        )
        r.raise_for_status()
        self.token = r.json()["token"]
        return self.token

    @property
    def headers(self) -> dict[str, str]:
        assert self.token, "create_token() first"
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(
            method, self.url + path.lstrip("/"), headers=self.headers, timeout=60, **kw
        )

    def request_server(self) -> None:
        r = self.api("POST", f"hub/api/users/{self.name}/server")
        assert r.status_code in (201, 202), r.text

    def wait_server(self, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"hub/api/users/{self.name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return self.url + server["url"].lstrip("/")
            if not server and not model.get("pending"):
                raise AssertionError(
                    f"server of {self.name} stopped while starting:\n"
                    + self.platform.log_tail()
                )
            time.sleep(0.5)
        raise AssertionError(f"server of {self.name} not ready in {timeout} s")

    @property
    def server_url(self) -> str:
        return self.url + f"user/{self.name}/"

    def server_api(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(
            method, self.server_url + path.lstrip("/"), headers=self.headers, timeout=60, **kw
        )


class Kernel:
    """A kernel of a user server, driven over the Jupyter websocket protocol."""

    def __init__(self, user: HubUser, kernel_id: str) -> None:
        self.user = user
        self.id = kernel_id
        ws_url = user.server_url.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {user.token}"], timeout=120
        )
        self.session = uuid.uuid4().hex

    @classmethod
    def start(cls, user: HubUser, name: str | None = None, path: str = "") -> Kernel:
        body: dict[str, Any] = {"path": path} if path else {}
        if name:
            body["name"] = name
        r = user.server_api("POST", "api/kernels", json=body)
        assert r.status_code == 201, r.text
        return cls(user, r.json()["id"])

    def execute(self, code: str, timeout: float = 120) -> dict[str, Any]:
        """Run ``code``; return its stdout, result text and error (None when it ran)."""
        msg_id = uuid.uuid4().hex
        msg = {
            "header": {
                "msg_id": msg_id,
                "username": self.user.name,
                "session": self.session,
                "msg_type": "execute_request",
                "version": "5.3",
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        self.ws.send(json.dumps(msg))
        out: dict[str, Any] = {"stdout": "", "stderr": "", "result": None, "error": None}
        replied = idle = False
        deadline = time.monotonic() + timeout
        while not (replied and idle):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply in {timeout} s to: {code[:200]}")
            reply = json.loads(self.ws.recv())
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["msg_type"]
            content = reply["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind == "execute_result":
                out["result"] = content["data"].get("text/plain")
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
                out["traceback"] = "\n".join(content.get("traceback", []))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                if content["status"] == "error" and not out["error"]:
                    out["error"] = f"{content.get('ename')}: {content.get('evalue')}"
        return out

    def shutdown(self) -> None:
        try:
            self.ws.close()
        finally:
            self.user.server_api("DELETE", f"api/kernels/{self.id}")


class Terminal:
    """A terminal of a user server (the lab's Terminal), driven over its websocket."""

    def __init__(self, user: HubUser) -> None:
        r = user.server_api("POST", "api/terminals")
        assert r.status_code == 200, r.text
        self.user = user
        self.name = r.json()["name"]
        ws_url = user.server_url.replace("http://", "ws://") + f"terminals/websocket/{self.name}"
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {user.token}"], timeout=60
        )

    def run(self, command: str, timeout: float = 60) -> str:
        """Type ``command`` into the shell; return what it printed (up to a marker)."""
        marker = uuid.uuid4().hex
        self.ws.send(json.dumps(["stdin", f"{command}; echo {marker[:16]}''{marker[16:]}\r"]))
        out = ""
        deadline = time.monotonic() + timeout
        while marker not in out:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end of output in {timeout} s for {command!r}: {out!r}")
            kind, *rest = json.loads(self.ws.recv())
            if kind == "stdout":
                out += rest[0]
        return out[: out.index(marker)]

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.user.server_api("DELETE", f"api/terminals/{self.name}")

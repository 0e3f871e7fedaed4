"""Spawn time of DESlab user servers against plain JupyterHub + plain JupyterLab.

Both hubs run here in the same run, behind configurable-http-proxy, spawning local
`jupyterhub-singleuser` processes with --allow-root and default URL /lab. Users log in through
the login form and request their own server; the time is from the spawn request to the hub
reporting the server ready. Measured for one user (median of several) and for 10 users at once
(time until the last is ready); both hubs run side by side and are measured in alternation.
Target: DESlab within 1.25x of plain.

Run: .venv/bin/python tests/benchmarks/bench_spawn.py [--repeat 3] [--users 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.platform.platform_helpers import VENV_BIN, HubUser, Platform, free_port, venv_env  # noqa: E402

PLAIN_PASSWORD = "plain-benchmark-password"

PLAIN_CONFIG = """
c = get_config()
c.JupyterHub.bind_url = "http://127.0.0.1:{port}/"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{data}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{data}/cookie_secret"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = ["{venv}/configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = "{data}/proxy.pid"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "{password}"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{data}/users/{{username}}"
c.Spawner.cmd = ["{venv}/jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
# plain JupyterLab: no DESlab server extension
c.Spawner.environment = {{"JUPYTER_CONFIG_PATH": "{data}/jupyter-config"}}
"""


class PlainHub(Platform):
    """Plain JupyterHub started with `jupyterhub -f` (same proxy, same spawner base)."""

    def start(self, timeout: float = 120) -> PlainHub:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "jupyter-config").mkdir(exist_ok=True)
        (self.data_dir / "jupyter-config" / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"deslab": False}}})
        )
        cfg = self.data_dir / "jupyterhub_config.py"
        cfg.write_text(
            PLAIN_CONFIG.format(
                port=self.port,
                hub_port=free_port(),
                api_port=free_port(),
                data=self.data_dir,
                venv=VENV_BIN,
                password=PLAIN_PASSWORD,
            )
        )
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(cfg)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=venv_env(),
            cwd=self.data_dir,
        )
        if self.wait_healthy(timeout, "plain jupyterhub"):
            return self
        raise RuntimeError("plain jupyterhub did not start")


def login_users(hub: Platform, password: str, n: int) -> list[HubUser]:
    users = []
    for i in range(n):
        u = HubUser(hub, f"user{i}")
        r = u.session.get(hub.url + "hub/login", timeout=30)
        import re

        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', r.text).group(1)
        # do not follow the redirect: it would start the server before we time it
        u.session.post(
            hub.url + "hub/login",
            data={"username": u.name, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        assert u.logged_in(), f"{u.name} could not log in"
        u.create_token()
        users.append(u)
    return users


def spawn(u: HubUser) -> float:
    t0 = time.perf_counter()
    u.request_server()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        server = u.api("GET", f"hub/api/users/{u.name}").json()["servers"].get("")
        if server and server.get("ready"):
            return time.perf_counter() - t0
        time.sleep(0.05)
    raise RuntimeError(f"{u.name}'s server never became ready")


def stop(u: HubUser) -> None:
    u.api("DELETE", f"hub/api/users/{u.name}/server")
    while u.api("GET", f"hub/api/users/{u.name}").json()["servers"]:
        time.sleep(0.2)


def spawn_many(users: list[HubUser]) -> float:
    """Seconds from the requests of all ``users`` until the last server is ready."""
    with ThreadPoolExecutor(len(users)) as pool:
        t0 = time.perf_counter()
        list(pool.map(spawn, users))
        elapsed = time.perf_counter() - t0
        list(pool.map(stop, users))
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each measurement")
    parser.add_argument("--users", type=int, default=10, help="users spawning at once")
    args = parser.parse_args()

    single: dict[str, list[float]] = {"plain": [], "deslab": []}
    many: dict[str, list[float]] = {"plain": [], "deslab": []}
    with tempfile.TemporaryDirectory(prefix="bench-spawn-") as tmp:
        base = Path(tmp)
        # both hubs run side by side and are measured in alternation, so that a change in
        # the machine's load hits both alike; the demo survey is generated before timing
        hubs = {
            "plain": PlainHub(base / "plain", free_port(), base / "plain.log"),
            "deslab": Platform(base / "ours", free_port(), base / "ours.log"),
        }
        try:
            users = {}
            for name, hub in hubs.items():
                hub.start(timeout=300)
                pw = PLAIN_PASSWORD if name == "plain" else (
                    (hub.data_dir / "password").read_text().strip()
                )
                users[name] = login_users(hub, pw, args.users)
                spawn(users[name][0])  # warm-up: imports and disk caches
                stop(users[name][0])
            for r in range(args.repeat):
                order = list(hubs) if r % 2 == 0 else list(reversed(hubs))
                for name in order:
                    single[name].append(spawn(users[name][0]))
                    stop(users[name][0])
                for name in order:
                    many[name].append(spawn_many(users[name]))
                print(
                    f"round {r + 1}: one user plain {single['plain'][-1]:.2f} s, "
                    f"deslab {single['deslab'][-1]:.2f} s; {args.users} users plain "
                    f"{many['plain'][-1]:.2f} s, deslab {many['deslab'][-1]:.2f} s",
                    flush=True,
                )
        finally:
            for hub in hubs.values():
                hub.stop()
    med = {k: (statistics.median(single[k]), statistics.median(many[k])) for k in single}
    for name, (one, n) in med.items():
        print(f"{name:7s} one user: {one:6.2f} s   {args.users} users at once: {n:6.2f} s "
              f"(medians of {args.repeat})")
    (p1, pn), (o1, on) = med["plain"], med["deslab"]
    print(f"ratio deslab/plain  one user: {o1 / p1:.2f}x   {args.users} users: {on / pn:.2f}x")
    print("target: within 1.25x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

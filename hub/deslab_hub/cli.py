"""``deslab-hub``: run the DESlab platform on this machine.

``deslab-hub up`` checks its inputs (port, data directory, hub database, Node.js and the
proxy) before writing anything, keeps every piece of state under the data directory
(secrets and the shared password generated once, mode 0600), generates the demo survey once
with ``deslab demo-data`` and runs JupyterHub in the foreground. Started as root, every user
gets a Unix account of their own (:mod:`deslab_hub.accounts`); otherwise it runs in a clearly
labelled single-user mode. SIGINT (Ctrl-C) and SIGTERM stop the hub, the proxy, the services
and every user server within seconds, and then anything they left; a second one stops
everything at once (:mod:`deslab_hub.stopping`).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import ipaddress
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil
from traitlets import TraitError
from traitlets.config import Application

from deslab_hub import accounts
from deslab_hub.auth import USERNAME_PATTERN, ensure_password
from deslab_hub.config import (
    MIN_PASSWORD_LENGTH,
    PLATFORM_ENV,
    PlatformSettings,
    build_config,
    single_user_name,
)
from deslab_hub.secretfiles import ensure_secret_file
from deslab_hub.stopping import (
    GRACEFUL_SECONDS,
    become_subreaper,
    kill_descendants_now,
    kill_process_tree,
    stop_descendants,
)


class SetupError(Exception):
    """A problem with the user's input or machine; the message says what to do."""


# ---------------------------------------------------------------------------------------------
# checks that write nothing


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port(ip: str, port: int) -> None:
    if not 0 < port < 65536:
        raise SetupError(f"--port {port} is not a valid port; choose one from 1 to 65535")
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SetupError(
                    f"port {port} on {ip} is already in use; stop what uses it or choose "
                    f"another with --port (make up PORT=...)"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise SetupError(
                    f"--ip {ip} is not an address of this machine; use 127.0.0.1 or 0.0.0.0"
                ) from None
            if exc.errno == errno.EACCES:
                raise SetupError(
                    f"no permission to listen on port {port}; choose a port above 1023"
                ) from None
            raise SetupError(f"cannot listen on {ip}:{port} ({exc.strerror})") from None


def find_proxy() -> list[str]:
    """The configurable-http-proxy command, after checking Node.js is there."""
    if shutil.which("node") is None:
        raise SetupError(
            "Node.js is not installed or not on PATH; the proxy needs it: run `make setup` "
            "(or `apt-get install nodejs npm`)"
        )
    candidates = [
        Path(sys.executable).parent / "configurable-http-proxy",
        Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "configurable-http-proxy",
    ]
    for cand in candidates:
        if cand.exists() and os.access(cand, os.X_OK):
            return [str(cand)]
    found = shutil.which("configurable-http-proxy")
    if found:
        return [found]
    raise SetupError(
        "configurable-http-proxy is not installed; run `make setup` (it runs `npm install` "
        "and links the proxy into .venv/bin)"
    )


def check_data_dir(data_dir: Path) -> None:
    """Fail if ``data_dir`` cannot be created or written (creating nothing)."""
    probe = data_dir
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise SetupError(
            f"data directory {data_dir} cannot be created: {probe} is not a directory; "
            f"choose another with --data-dir"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SetupError(
            f"data directory {data_dir} is not writable (no write permission on {probe}); "
            f"choose another with --data-dir or fix its permissions"
        )
    try:
        fd, name = tempfile.mkstemp(prefix=".deslab-write-test-", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise SetupError(
            f"data directory {data_dir} is not writable ({exc.strerror}); "
            f"choose another with --data-dir"
        ) from None


def parse_users(text: str) -> list[str]:
    """The ``--users`` list, lower-cased as JupyterHub does, every name checked."""
    users = [u.strip().lower() for u in text.split(",") if u.strip()]
    bad = [u for u in users if not re.fullmatch(USERNAME_PATTERN, u)]
    if bad:
        raise SetupError(
            f"--users: {', '.join(repr(b) for b in bad)} cannot be a user name; use letters, "
            f"digits and . _ @ + - (starting with a letter or digit), separated by commas"
        )
    return users


def check_login_on_network(ip: str, login: str, allowed: bool) -> None:
    """Refuse the shared demo password on an address other than loopback unless allowed."""
    if login != "shared" or allowed:
        return
    try:
        loopback = ipaddress.ip_address(ip or "0.0.0.0").is_loopback
    except ValueError:
        loopback = ip == "localhost"
    if not loopback:
        raise SetupError(
            f"--ip {ip} opens the platform to the network, but --login shared lets anyone "
            f"who learns the one demo password log in as any user; use --login personal "
            f"(each user's own password), or pass --shared-password-on-network to accept that"
        )


def check_accounts_mode(python: str, data_dir: Path, admin: str) -> bool:
    """Whether users get system accounts (run as root), after checking they can work.

    Returns
    -------
    bool
        True as root (one account per user), False otherwise (single-user mode).
    """
    if os.geteuid() != 0:
        return False
    needed = {
        Path(python).parent: f"run {python}",
        Path(os.path.realpath(python)).parent: f"run {os.path.realpath(python)}",
        data_dir.parent: f"reach their homes in {data_dir}",
    }
    for start, what in needed.items():
        for part in [start, *start.parents]:
            if part.exists() and not os.stat(part).st_mode & 0o001:
                raise SetupError(
                    f"user accounts could not {what}: {part} may not be entered by other "
                    f"accounts; use a checkout, Python and --data-dir that everyone may enter "
                    f"(e.g. under /opt or /srv; `make setup` builds .venv on /usr/bin/python3), "
                    f"or `chmod o+x {part}`"
                )
    if shutil.which("useradd") is None:
        raise SetupError("useradd is missing; install the passwd package (apt-get install passwd)")
    if admin and not re.fullmatch(USERNAME_PATTERN, admin):
        raise SetupError(f"--admin {admin!r} is not a valid user name")
    return True


def check_hub_database(path: Path) -> None:
    """Fail with advice if the hub's SQLite database exists but cannot be read."""
    if not path.exists():
        return
    advice = (
        f"the hub database {path} is corrupted or not a SQLite database; move it away "
        f"(e.g. `mv {path} {path}.broken`) and start again: user homes, secrets and the "
        f"demo survey are kept, users log in again"
    )
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        finally:
            con.close()
    except sqlite3.Error:
        raise SetupError(advice) from None
    if result != "ok" or (tables and "users" not in tables):
        raise SetupError(advice)


# ---------------------------------------------------------------------------------------------
# state in the data directory


def ensure_demo_survey(data_dir: Path, rows: int | None, tiles: int | None) -> Path:
    """Generate the demo survey into ``DATA_DIR/demo`` once (atomically: temp dir + rename)."""
    demo = data_dir / "demo"
    if (demo / "catalog.duckdb").exists():
        return demo
    for leftover in data_dir.glob(".demo-*"):  # from a run killed while generating
        shutil.rmtree(leftover, ignore_errors=True)
    print(f"deslab-hub: generating the demo survey into {demo} (once) ...", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=data_dir))
    cmd = [sys.executable, "-m", "deslab.cli", "demo-data", "--out", str(tmp)]
    if rows is not None:
        cmd += ["--rows", str(rows)]
    if tiles is not None:
        cmd += ["--tiles", str(tiles)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not (tmp / "catalog.duckdb").exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise SetupError(
                f"generating the demo survey failed ({last}); run `deslab demo-data --out "
                f"{demo}` to see why, or pass --catalog/--tiles"
            )
        if demo.exists():
            shutil.rmtree(demo)
        os.replace(tmp, demo)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return demo


def prepare_settings(settings: PlatformSettings, proxy: list[str]) -> tuple[str, bool]:
    """Create the data directory's secrets and fill ``settings`` with what this run chose
    (free ports, secrets, the demo survey); return the password and whether it is new."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secrets_dir = data_dir / "secrets"
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    if settings.login == "personal":
        password, new_password = "", False
        if settings.admin:
            password, new_password = ensure_password(data_dir / "admin-password")
    else:
        password, new_password = ensure_password(data_dir / "password")
    ensure_secret_file(secrets_dir / "cookie_secret", hexadecimal=True)
    proxy_token, _ = ensure_secret_file(secrets_dir / "proxy_auth_token")
    jobs_token, _ = ensure_secret_file(secrets_dir / "jobs_api_token")
    culler_token, _ = ensure_secret_file(secrets_dir / "idle_culler_api_token")
    (data_dir / "users").mkdir(exist_ok=True)

    demo = data_dir / "demo"
    if not settings.catalog_url:
        demo = ensure_demo_survey(data_dir, settings.demo_rows, settings.demo_tiles)
        settings.catalog_url = f"duckdb:///{demo / 'catalog.duckdb'}"
        settings.tiles_dir = settings.tiles_dir or str(demo / "tiles")
    if settings.user_accounts:
        accounts.secure_data_dir(data_dir, demo if settings.catalog_url.startswith(
            f"duckdb:///{data_dir / 'demo'}") else None)
    settings.mode = "local"
    settings.hub_port = free_port()
    settings.proxy_api_port = free_port()
    settings.jobs_port = free_port()
    settings.proxy_command = proxy
    settings.proxy_auth_token = proxy_token
    settings.cookie_secret_file = str(secrets_dir / "cookie_secret")
    settings.password_file = str(data_dir / "password")
    settings.jobs_api_token = jobs_token
    settings.culler_api_token = culler_token
    return password, new_password


# ---------------------------------------------------------------------------------------------
# running


def lock_data_dir(data_dir: Path) -> Any:
    """Hold ``DATA_DIR/deslab-hub.lock`` while running; fail if another platform holds it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = open(data_dir / "deslab-hub.lock", "a+")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise SetupError(
            f"another deslab-hub (pid {pid}) is running with the data directory {data_dir}; "
            f"stop it first or choose another --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def stop_stale_processes(data_dir: Path) -> int:
    """Stop what an earlier run on ``data_dir`` left behind when it was killed (kill -9).

    User servers, their kernels and the services carry ``DESLAB_PLATFORM_DIR`` in their
    environment; once this run holds the data directory's lock, any such process belongs to
    a dead run: its tokens and URLs are stale, and a second job scheduler on the same
    database must not run. (The proxy is handled by JupyterHub through its pid file.)
    """
    me = os.getpid()
    stale = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(PLATFORM_ENV) == str(data_dir):
                stale.append(proc)
        except (psutil.Error, OSError):
            continue
    if stale:
        print(
            f"deslab-hub: stopping {len(stale)} processes left by an earlier run on {data_dir}",
            file=sys.stderr,
        )
        kill_process_tree(stale, timeout=5.0)
    return len(stale)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def mode_notice(settings: PlatformSettings) -> str:
    """What the operator must know about accounts, printed at start."""
    if settings.user_accounts:
        return (
            f"deslab-hub: every user gets a Unix account of their own "
            f"({settings.account_prefix}<name>, home in {Path(settings.data_dir) / 'users'}, "
            f"mode 0700); servers, kernels, terminals and jobs run as it"
        )
    return (
        f"deslab-hub: SINGLE-USER MODE: not started as root, so no accounts can be created; "
        f"only {single_user_name()!r} may log in and everything runs as that Unix account. "
        f"Start it as root for one account per user."
    )


def banner(settings: PlatformSettings, password: str, new_password: bool) -> str:
    if settings.user_accounts:
        users = ", ".join(settings.users) if settings.users else "any user name"
    else:
        users = ", ".join(settings.users) or single_user_name()
    data = Path(settings.data_dir)
    lines = ["", f"DESlab is running at {settings.public_url}"]
    if settings.login == "shared":
        lines += [
            f"  DEMO LOGIN: log in with {users} and the shared password: {password}",
            f"  (the password is kept in {data / 'password'}"
            + (", generated now)" if new_password else ")"),
        ]
    else:
        lines.append(f"  log in with {users}; a new user sets their own password at first login")
        if settings.admin:
            lines.append(
                f"  admin {settings.admin}: first password in {data / 'admin-password'}"
                + (f" (generated now: {password})" if new_password else "")
            )
    if not settings.user_accounts:
        lines.append("  single-user mode: everything runs as this Unix account")
    lines += [
        f"  job service: {settings.public_url}services/jobs/",
        "  press Ctrl-C to stop everything (twice: at once)",
        "",
    ]
    return "\n".join(lines)


def run_hub(settings: PlatformSettings, password: str, new_password: bool) -> int:
    from jupyterhub.app import JupyterHub

    text = banner(settings, password, new_password)
    extra_config = Path(settings.data_dir) / "jupyterhub_config.py"

    class DeslabHub(JupyterHub):
        """JupyterHub that prints how to log in once it is up and fails in one line."""

        name = "deslab-hub"

        def load_config_file(self, filename: str, path: Any = None) -> None:
            # only DATA_DIR/jupyterhub_config.py, never a stray one in the working directory
            if extra_config.is_file():
                super().load_config_file(str(extra_config))

        async def start(self) -> None:
            await super().start()
            print(text, flush=True)

        _stopping = False

        def init_signal(self) -> None:
            super().init_signal()
            loop = asyncio.get_event_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.on_stop_signal, sig)

        def on_stop_signal(self, sig: signal.Signals) -> None:
            """First signal: stop gracefully (bounded); second: kill everything now."""
            if self._stopping:
                print("deslab-hub: stopping at once", file=sys.stderr, flush=True)
                kill_descendants_now()
                os._exit(128 + sig)
            self._stopping = True
            print("deslab-hub: stopping everything (press Ctrl-C again to stop at once)",
                  file=sys.stderr, flush=True)
            asyncio.ensure_future(self.shutdown_cancel_tasks(sig))

        async def cleanup(self) -> None:
            """Stop the services and every user server at the same time, then the proxy,
            within ``GRACEFUL_SECONDS`` (JupyterHub's own cleanup stops them one after the
            other, each with 30 s grace); ``cmd_up`` then stops whatever is left."""
            stops = []
            for service in self._service_map.values():
                if service.managed and service.spawner is not None:
                    service.spawner.interrupt_timeout = 2
                    service.spawner.term_timeout = 1
                    service.spawner.kill_timeout = 1
                    stops.append(service.stop())
            for user in self.users.values():
                for name, spawner in list(user.spawners.items()):
                    if spawner.active:
                        stops.append(user.stop(name))
            if stops:
                self.log.info("Stopping %d services and user servers...", len(stops))
                _, pending = await asyncio.wait(
                    [asyncio.ensure_future(s) for s in stops], timeout=GRACEFUL_SECONDS
                )
                for task in pending:
                    task.cancel()
                if pending:
                    self.log.warning("%d still stopping after %.0f s: terminating them",
                                     len(pending), GRACEFUL_SECONDS)
            if self.proxy.should_start:
                self.proxy.stop()
            self.db.commit()
            self.log.info("...done")

        async def launch_instance_async(self, argv: list[str] | None = None) -> None:
            try:
                await self.initialize(argv)
                await self.start()
            except SystemExit as exc:
                if exc.code:
                    print(
                        "deslab-hub: the hub stopped while starting (the log above says why)",
                        file=sys.stderr,
                    )
                await self.cleanup_after_failed_start()
                raise
            except Exception as exc:
                self.log.debug("start-up failed", exc_info=True)
                print(f"deslab-hub: the hub failed to start: {exc}", file=sys.stderr)
                await self.cleanup_after_failed_start()
                raise SystemExit(1) from None

        async def cleanup_after_failed_start(self) -> None:
            try:
                if getattr(self, "proxy", None) is not None and self.proxy.should_start:
                    self.proxy.stop()
            except Exception:  # noqa: BLE001 - best effort, the sweep below follows
                pass

    config = build_config(settings)
    DeslabHub.instance(config=config)
    try:
        DeslabHub.launch_instance([])
    except KeyboardInterrupt:
        print("deslab-hub: interrupted while starting; stopping", file=sys.stderr)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    return 0


def cmd_up(settings: PlatformSettings) -> int:
    """Check the inputs, prepare the data directory and run the hub until it stops."""
    data_dir = Path(settings.data_dir).expanduser().resolve()
    settings.data_dir = str(data_dir)
    settings.users = parse_users(",".join(settings.users))
    settings.admin = settings.admin.strip().lower()
    check_login_on_network(settings.ip, settings.login, settings.shared_password_on_network)
    try:
        accounts.check_prefix(settings.account_prefix)
    except ValueError as exc:
        raise SetupError(f"--account-prefix: {exc}") from None
    proxy = find_proxy()
    check_data_dir(data_dir)
    check_hub_database(data_dir / "jupyterhub.sqlite")
    lock = None
    if data_dir.is_dir():
        # an earlier run killed with SIGKILL may still hold the port through its proxy
        lock = lock_data_dir(data_dir)
        stop_stale_processes(data_dir)
    try:
        check_port(settings.ip, settings.port)
    except SetupError:
        if lock is not None:
            lock.close()
        raise
    try:
        settings.user_accounts = check_accounts_mode(sys.executable, data_dir, settings.admin)
    except SetupError:
        if lock is not None:
            lock.close()
        raise
    if lock is None:
        lock = lock_data_dir(data_dir)
    # inherited by the proxy; the spawner and the services set it for their processes
    os.environ[PLATFORM_ENV] = str(data_dir)
    if settings.user_accounts:
        os.umask(0o077)  # databases and files the hub creates stay root's
    become_subreaper()
    try:
        password, new_password = prepare_settings(settings, proxy)
        print(mode_notice(settings), file=sys.stderr, flush=True)
        code = run_hub(settings, password, new_password)
    finally:
        left = len(stop_descendants())
        if left:
            print(f"deslab-hub: stopped {left} processes that were still running", file=sys.stderr)
        lock.close()
    # everything is stopped: leave without waiting for the hub's idle threads to wind down
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# ---------------------------------------------------------------------------------------------
# the command line: traitlets applications whose options are PlatformSettings traits


class UpApp(Application):
    """``deslab-hub up``: options are aliases of :class:`PlatformSettings` traits."""

    name = "deslab-hub up"
    description = (
        "Run DESlab on this machine: JupyterHub behind configurable-http-proxy, a JupyterLab "
        "server per user, the job service at /services/jobs/ and the idle culler. Started as "
        "root, every user gets a Unix account of their own; otherwise it runs in single-user "
        "mode. All state lives in --data-dir; with --login shared (the demo) a shared "
        "password is generated there on first start (DATA_DIR/password) and printed; "
        "--login personal gives each user their own. Ctrl-C or SIGTERM stops the hub, the "
        "proxy, the services and every user server within seconds, a second Ctrl-C at once. "
        "Every PlatformSettings trait can also be given as --PlatformSettings.<name>=<value>."
    )
    classes = [PlatformSettings]  # type: ignore[assignment]
    aliases = {  # type: ignore[assignment]
        "port": "PlatformSettings.port",
        "ip": "PlatformSettings.ip",
        "data-dir": "PlatformSettings.data_dir",
        "users": "PlatformSettings.users",
        "idle-timeout": "PlatformSettings.idle_timeout",
        "cull-every": "PlatformSettings.cull_every",
        "catalog": "PlatformSettings.catalog_url",
        "tiles": "PlatformSettings.tiles_dir",
        "demo-rows": "PlatformSettings.demo_rows",
        "demo-tiles": "PlatformSettings.demo_tiles",
        "spawn-timeout": "PlatformSettings.spawn_timeout",
        "login": "PlatformSettings.login",
        "admin": "PlatformSettings.admin",
        "account-prefix": "PlatformSettings.account_prefix",
    }
    flags = {  # type: ignore[assignment]
        "debug": ({"PlatformSettings": {"debug": True}}, PlatformSettings.debug.help),
        "shared-password-on-network": (
            {"PlatformSettings": {"shared_password_on_network": True}},
            PlatformSettings.shared_password_on_network.help,
        ),
    }

    def initialize(self, argv: list[str] | None = None) -> None:
        """Parse the command line; unknown options and stray words are usage errors."""
        level = self.log.level
        self.log.setLevel(logging.ERROR)  # traitlets warns of unknown options; we refuse them
        try:
            self.parse_command_line(argv)
        finally:
            self.log.setLevel(level)
        known = {cls.__name__: cls for cls in self._classes_inc_parents()}
        unknown = [f"--{key}" for key in self.config if key not in known]
        for name, cls in known.items():
            traits = cls.class_traits(config=True)
            unknown += [f"--{name}.{key}" for key in self.config.get(name, {}) if key not in traits]
        unknown += self.extra_args
        if unknown:
            raise SetupError(
                f"unknown option {' '.join(unknown)}; `{self.name} --help` lists the options"
            )

    def settings(self) -> PlatformSettings:
        """The settings from the command line, or a one-line :class:`SetupError`."""
        try:
            return PlatformSettings(parent=self)
        except (TraitError, ValueError) as exc:
            raise SetupError(_one_line(exc)) from None

    def start(self) -> None:
        raise SystemExit(cmd_up(self.settings()))


class SetPasswordApp(Application):
    """``deslab-hub set-password USER``: the operator sets a user's personal password."""

    name = "deslab-hub set-password"
    description = (
        "Set USER's password for `deslab-hub up --login personal` on the platform in "
        "--data-dir (stored as a bcrypt hash). The password is read from standard input."
    )
    classes = [PlatformSettings]  # type: ignore[assignment]
    aliases = {"data-dir": "PlatformSettings.data_dir"}  # type: ignore[assignment]
    flags: dict = {}  # type: ignore[assignment]

    def start(self) -> None:
        from deslab_hub.auth import set_password

        if len(self.extra_args) != 1:
            raise SetupError("name one user: deslab-hub set-password USER [--data-dir DIR]")
        data_dir = Path(PlatformSettings(parent=self).data_dir).expanduser().resolve()
        if not (data_dir / "secrets").is_dir():
            raise SetupError(f"{data_dir} holds no platform; pass its --data-dir")
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise SetupError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        print(set_password(data_dir, self.extra_args[0], password))


class DeslabHubApp(Application):
    """``deslab-hub``: the platform's commands."""

    name = "deslab-hub"
    description = "DESlab hub: run the science platform on this machine."
    subcommands = {  # type: ignore[assignment]
        "up": (
            lambda parent: UpApp(parent=parent),
            "run the local platform in the foreground (Ctrl-C stops everything)",
        ),
        "set-password": (
            lambda parent: SetPasswordApp(parent=parent),
            "set a user's personal password (--login personal); reads it from stdin",
        ),
    }
    aliases: dict = {}  # type: ignore[assignment]
    flags: dict = {}  # type: ignore[assignment]

    def initialize(self, argv: list[str] | None = None) -> None:
        """Hand the rest of the command line to the named command's application."""
        if argv and not argv[0].startswith("-") and argv[0] not in self.subcommands:
            raise SetupError(f"unknown command {argv[0]!r}; choose one of: "
                             f"{', '.join(self.subcommands)}")
        super().initialize(argv)

    def start(self) -> None:
        if self.subapp is None:
            raise SetupError(f"name a command: {', '.join(self.subcommands)} (see --help)")
        self.subapp.start()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    argv = sys.argv[1:] if argv is None else argv
    command = f"deslab-hub {argv[0]}" if argv and argv[0] in DeslabHubApp.subcommands else (
        "deslab-hub")
    app = DeslabHubApp()
    try:
        try:
            app.initialize(argv)
        except (TraitError, ValueError) as exc:
            raise SetupError(_one_line(exc)) from None
        app.start()
    except SetupError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

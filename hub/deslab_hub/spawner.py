"""The local spawner: one JupyterLab server per user, as processes on this machine.

Started as root, the platform gives every hub user a Unix account of their own
(:mod:`deslab_hub.accounts`, created at the first start of their server, as The Littlest
JupyterHub does): the server, its kernels and terminals run as that account, in its private
home ``DATA_DIR/users/<account>`` (mode 0700). Started by anyone else, it runs in single-user
mode: every server runs as the account that started the platform. Either way the server gets
the tutorial notebooks in ``tutorials/`` the first time they appear, and the environment that
tells ``deslab`` where the catalog, the tiles and the job service are. The servers run from
the same virtual environment as the hub, so the ``deslab`` package, its lab extension and the
DES Python kernel are there.

KubeSpawner's profiles and pod additions for the cluster live in :mod:`deslab_hub.cluster.spawner`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import psutil
from jupyterhub.spawner import SimpleLocalProcessSpawner, set_user_setuid
from traitlets import Bool, Float, Unicode, default

from deslab_hub.accounts import (
    DEFAULT_PREFIX,
    Account,
    account_name,
    adopt_legacy_home,
    ensure_account,
)
from deslab_hub.stopping import kill_process_tree
from deslab_hub.tutorials import TUTORIALS_MANIFEST, copy_new_tutorials

__all__ = ["TUTORIALS_MANIFEST", "LocalDeslabSpawner", "copy_new_tutorials", "kill_process_tree"]


def default_tutorials_dir() -> str:
    """The tutorials shipped in the ``deslab`` package, found without importing it."""
    spec = importlib.util.find_spec("deslab")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(next(iter(spec.submodule_search_locations))) / "tutorials")


class LocalDeslabSpawner(SimpleLocalProcessSpawner):
    """JupyterLab servers for DESlab users as local processes.

    With ``user_accounts`` (the platform runs as root) each server runs as its user's own
    system account; without (single-user mode), as the hub's account, which must not be
    root. ``HOME`` and ``DESLAB_HOME`` are the user's directory under the data directory.
    """

    user_accounts = Bool(
        False,
        config=True,
        help="""Run each user's server as a Unix account of their own.

        The account (named by :func:`deslab_hub.accounts.account_name`) and its private home
        are created at the user's first start; needs the hub to run as root. Off: every
        server runs as the hub's own account (single-user mode), which must not be root.
        """,
    )

    account_prefix = Unicode(
        DEFAULT_PREFIX,
        config=True,
        help="""Start of the name of every system account this platform creates
        (``dl-``: hub user ``alice`` runs as ``dl-alice``).""",
    )

    catalog_url = Unicode(
        "",
        config=True,
        help="""Catalog URL given to user servers as ``DESLAB_CATALOG``.

        ``duckdb:///path/catalog.duckdb`` for the embedded demo survey, or
        ``oracle://user@host:port/service`` (password from a file, never in the URL).
        """,
    )

    catalog_password_file = Unicode(
        "",
        config=True,
        help="File with the catalog password, given as ``DESLAB_CATALOG_PASSWORD_FILE``.",
    )

    tiles_dir = Unicode(
        "",
        config=True,
        help="Directory of the survey's FITS tiles, given to user servers as ``DESLAB_TILES``.",
    )

    jobs_url = Unicode(
        "",
        config=True,
        help="""Base URL of the job service, given to user servers as ``DESLAB_JOBS_URL``.

        For the local platform this is the public URL of the proxy followed by
        ``/services/jobs/``; the job client authenticates with ``JUPYTERHUB_API_TOKEN``.
        """,
    )

    venv_bin = Unicode(
        config=True,
        help="""The ``bin`` directory of the environment the servers run from.

        Put first on the servers' ``PATH``; the default is the hub's own environment.
        """,
    )

    @default("venv_bin")
    def _default_venv_bin(self) -> str:
        return str(Path(sys.executable).parent)

    tutorials_dir = Unicode(
        config=True,
        help="""Directory whose ``*.ipynb`` notebooks are copied into each user's
        ``~/tutorials/``.

        A notebook is copied once: later starts add notebooks that are new in this directory
        but never overwrite or restore the user's copies. The default is the ``tutorials``
        directory of the installed ``deslab`` package.
        """,
    )

    @default("tutorials_dir")
    def _default_tutorials_dir(self) -> str:
        return default_tutorials_dir()

    kill_leftovers_timeout = Float(
        5.0,
        config=True,
        help="""Seconds to wait after SIGTERM before SIGKILL for processes a stopped server
        leaves behind (kernels, terminals).""",
    )

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [str(Path(self.venv_bin) / "jupyterhub-singleuser")]

    @default("args")
    def _default_args(self) -> list[str]:
        # a kernel gets 2 s to exit after a shutdown request before it is killed, so that a
        # stopping server (and platform) does not wait 5 s per busy kernel
        return ["--KernelManager.shutdown_wait_time=2"]

    @default("home_dir")
    def _default_home_dir(self) -> str:
        return self.home_dir_template.format(
            username=self.user.name, account=self.account_name
        )

    @property
    def account_name(self) -> str:
        """The system account name of this server's user."""
        return account_name(self.user.name, self.account_prefix)

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    def get_env(self) -> dict[str, str]:
        """The environment of a user server: DESlab's variables and the venv first on PATH."""
        env = super().get_env()
        path = env.get("PATH") or os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        parts = [p for p in path.split(os.pathsep) if p and p != self.venv_bin]
        env["PATH"] = os.pathsep.join([self.venv_bin, *parts])
        env["DESLAB_HOME"] = self.home_dir
        if self.user_accounts:
            env["USER"] = env["LOGNAME"] = self.account_name
            env["SHELL"] = "/bin/bash"
        if self.catalog_url:
            env["DESLAB_CATALOG"] = self.catalog_url
        if self.catalog_password_file:
            env["DESLAB_CATALOG_PASSWORD_FILE"] = self.catalog_password_file
        if self.tiles_dir:
            env["DESLAB_TILES"] = self.tiles_dir
        if self.jobs_url:
            env["DESLAB_JOBS_URL"] = self.jobs_url
        return env

    def make_preexec_fn(self, name: str) -> Any:
        """Switch to the user's account (with ``user_accounts``) and start in the home."""
        if self.user_accounts:
            return set_user_setuid(self.account_name, chdir=True)
        if os.geteuid() == 0:
            raise RuntimeError("single-user mode never runs user servers as root")
        return super().make_preexec_fn(name)

    def prepare_home(self) -> Path:
        """Create the user's home and copy in the tutorials they have not had yet
        (single-user mode; see :meth:`prepare_account` for accounts)."""
        home = Path(self.home_dir)
        if adopt_legacy_home(self.user.name, home, None):
            self.log.info("Moved %s's home of an earlier version to %s", self.user.name, home)
        home.mkdir(parents=True, exist_ok=True)
        if self.tutorials_dir and Path(self.tutorials_dir).is_dir():
            copy_new_tutorials(Path(self.tutorials_dir), home / "tutorials")
        return home

    async def prepare_account(self) -> Account:
        """Create the user's account and private home (once), then copy in the tutorials
        from a process running as that account (root never writes inside a home)."""
        home = Path(self.home_dir)
        account = await asyncio.to_thread(
            ensure_account, self.user.name, home.parent, self.account_prefix
        )
        if self.tutorials_dir and Path(self.tutorials_dir).is_dir():
            proc = await asyncio.create_subprocess_exec(
                str(Path(self.venv_bin) / "python"), "-m", "deslab_hub.tutorials",
                self.tutorials_dir, str(home / "tutorials"),
                user=account.uid, group=account.gid, extra_groups=account.groups,
                cwd=str(home), env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await proc.communicate()
            if proc.returncode:
                self.log.warning("%s", err.decode(errors="replace").strip())
        return account

    async def start(self) -> Any:
        if self.user_accounts:
            account = await self.prepare_account()
            self.log.info("Starting %s's server as the system account %s",
                          self.user.name, account.name)
        else:
            self.prepare_home()
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        """Stop the server, then anything it left running (kernels run in their own sessions)."""
        leftovers: list[psutil.Process] = []
        if self.pid:
            try:
                leftovers = psutil.Process(self.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        # SIGTERM at once: on SIGINT Jupyter Server may ask for confirmation and go on
        await super().stop(now=True)
        alive = [p for p in leftovers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if alive:
            self.log.info("Stopping %d processes left by %s's server", len(alive), self.user.name)
            kill_process_tree(alive, self.kill_leftovers_timeout)


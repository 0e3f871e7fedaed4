"""The local spawner: one JupyterLab server per user, as processes on this machine.

Every user gets a home directory under the data directory (``DATA_DIR/users/<name>``), the
tutorial notebooks in ``tutorials/`` the first time they appear, and the environment that
tells ``deslab`` where the catalog, the tiles and the job service are. The servers run from
the same virtual environment as the hub, so the ``deslab`` package, its lab extension and the
DES Python kernel are there.

KubeSpawner's profiles and pod additions for the cluster live in :mod:`deslab_hub.cluster.spawner`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import psutil
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Float, Unicode, default

TUTORIALS_MANIFEST = ".deslab-tutorials"


def default_tutorials_dir() -> str:
    """The tutorials shipped in the ``deslab`` package, found without importing it."""
    spec = importlib.util.find_spec("deslab")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(next(iter(spec.submodule_search_locations))) / "tutorials")


def kill_process_tree(procs: list[psutil.Process], timeout: float = 5.0) -> None:
    """Terminate ``procs`` (SIGTERM, then SIGKILL after ``timeout``) and wait for them."""
    alive = []
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
            alive.append(p)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout)


class LocalDeslabSpawner(SimpleLocalProcessSpawner):
    """JupyterLab servers for DESlab users as local processes.

    All servers run as the hub's own system user (root is fine: ``--allow-root`` is passed),
    with ``HOME`` and ``DESLAB_HOME`` set to the user's directory under the data directory.
    This gives no isolation between users beyond JupyterHub's authentication: it is meant
    for one machine run by one group, not for production.
    """

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
        return ["--allow-root"] if os.geteuid() == 0 else []

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
        if self.catalog_url:
            env["DESLAB_CATALOG"] = self.catalog_url
        if self.catalog_password_file:
            env["DESLAB_CATALOG_PASSWORD_FILE"] = self.catalog_password_file
        if self.tiles_dir:
            env["DESLAB_TILES"] = self.tiles_dir
        if self.jobs_url:
            env["DESLAB_JOBS_URL"] = self.jobs_url
        return env

    def prepare_home(self) -> Path:
        """Create the user's home and copy in the tutorials they have not had yet."""
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        if self.tutorials_dir and Path(self.tutorials_dir).is_dir():
            copy_new_tutorials(Path(self.tutorials_dir), home / "tutorials")
        return home

    async def start(self) -> Any:
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
        await super().stop(now=now)
        alive = [p for p in leftovers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if alive:
            self.log.info("Stopping %d processes left by %s's server", len(alive), self.user.name)
            kill_process_tree(alive, self.kill_leftovers_timeout)


def copy_new_tutorials(source: Path, dest: Path) -> list[str]:
    """Copy tutorial notebooks from ``source`` that ``dest`` has never received.

    The names already delivered are kept in ``dest/.deslab-tutorials`` so that a notebook a
    user deleted or renamed is not brought back, and a user's edits are never overwritten.

    Returns
    -------
    list of str
        The names copied now.
    """
    dest.mkdir(parents=True, exist_ok=True)
    manifest = dest / TUTORIALS_MANIFEST
    delivered = set(manifest.read_text(encoding="utf-8").split()) if manifest.exists() else set()
    copied = []
    for nb in sorted(source.glob("*.ipynb")):
        if nb.name in delivered or (dest / nb.name).exists():
            delivered.add(nb.name)
            continue
        tmp = dest / f".{nb.name}.tmp"
        shutil.copyfile(nb, tmp)
        os.replace(tmp, dest / nb.name)
        delivered.add(nb.name)
        copied.append(nb.name)
    manifest.write_text("\n".join(sorted(delivered)) + "\n", encoding="utf-8")
    return copied

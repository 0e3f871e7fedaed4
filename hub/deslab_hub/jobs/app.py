"""The job service application: wires settings, store, scheduler, sweeper and the API.

Started by JupyterHub as a managed service (``python -m deslab_hub.jobs``) or on its own
(the chart's Deployment). It stops on SIGTERM/SIGINT without touching running workers: they
keep running and a restarted service follows them again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import make_url
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from traitlets import Unicode, default
from traitlets.config import Application

from deslab_hub.jobs.events import EventHub
from deslab_hub.jobs.handlers import Context, routes
from deslab_hub.jobs.hubauth import HubIdentity
from deslab_hub.jobs.notify import Notifier
from deslab_hub.jobs.quotas import Quotas
from deslab_hub.jobs.runners import make_runner
from deslab_hub.jobs.scheduler import Scheduler
from deslab_hub.jobs.settings import JobServiceSettings, SettingsError
from deslab_hub.jobs.store import Store
from deslab_hub.jobs.sweeper import Sweeper


def database_url(settings: JobServiceSettings) -> str:
    """``db_url`` with the password from ``db_password_file`` added (never logged)."""
    url = settings.db_url
    if settings.db_password_file:
        with open(settings.db_password_file, encoding="utf-8") as f:
            password = f.read().strip()
        url = make_url(url).set(password=password).render_as_string(hide_password=False)
    return url


def make_web_app(ctx: Context, **settings: Any) -> TornadoApplication:
    """The service's tornado application: the API routes of :func:`handlers.routes`."""
    return TornadoApplication(routes(ctx), **settings)


class JobServiceApp(Application):
    """The DESlab job service."""

    name = "deslab-jobs"
    description = "DESlab job service: asynchronous query, cutout and anomaly jobs (UWS)."

    config_file = Unicode(
        help="""Python config file to load (``DESLAB_JOBS_CONFIG_FILE``); settings go in
        ``c.JobServiceSettings`` and ``c.KubernetesRunner``.""",
    ).tag(config=True)

    @default("config_file")
    def _config_file(self) -> str:
        return os.environ.get("DESLAB_JOBS_CONFIG_FILE", "")

    aliases = {"config": "JobServiceApp.config_file", "log-level": "Application.log_level"}

    @property
    def classes(self) -> list[type]:  # type: ignore[override]
        from deslab_hub.jobs.runners.kubernetes import KubernetesRunner

        return [JobServiceApp, JobServiceSettings, KubernetesRunner]

    def initialize(self, argv: list[str] | None = None) -> None:
        self.parse_command_line(argv)
        if self.config_file:
            path = Path(self.config_file)
            self.load_config_file(path.name, path=str(path.parent))
        self.settings = JobServiceSettings(parent=self)

    async def start_async(self, ready: asyncio.Event | None = None) -> None:
        s = self.settings
        Path(s.state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        url = database_url(s)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.store = store = Store(url)
        events = EventHub(store)
        notifier = Notifier(s, self.log)
        runner = make_runner(s.runner, s, self.log)
        scheduler = Scheduler(s, store, runner, events, notifier, self.log)
        sweeper = Sweeper(s, scheduler, self.log)
        identity = HubIdentity(s.admin_users, self.log) if os.environ.get(
            "JUPYTERHUB_API_TOKEN") else None
        ctx = Context(s, store, scheduler, events, Quotas(s, store), identity, self.log)
        web = make_web_app(ctx, log_function=self._log_request)
        server = HTTPServer(web, max_body_size=2 * s.max_body_bytes, xheaders=True)
        server.listen(s.port, s.ip)
        scheduler.start()
        sweeper.start()
        self.log.info("DESlab job service at http://%s:%d%sapi/ (runner %s, database %s)",
                      s.ip, s.port, s.base_url, runner.name, make_url(url).render_as_string())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if ready is not None:
            ready.set()
        await stop.wait()
        self.log.info("stopping (running workers keep running)")
        server.stop()
        await sweeper.stop()
        await scheduler.stop()
        close = getattr(runner, "close", None)
        if close is not None:
            close()
        aclose = getattr(runner, "aclose", None)
        if aclose is not None:
            await aclose()
        store.close()

    def _log_request(self, handler: Any) -> None:
        status = handler.get_status()
        level = self.log.info if status < 400 else self.log.warning
        if status >= 500:
            level = self.log.error
        req = handler.request
        level("%d %s %s %.1fms", status, req.method, quote(req.path, safe="/%"),
              1000 * req.request_time())


def main(argv: list[str] | None = None) -> None:
    app = JobServiceApp()
    try:
        app.initialize(argv)
    except SettingsError as exc:
        print(f"deslab-jobs: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(app.start_async())

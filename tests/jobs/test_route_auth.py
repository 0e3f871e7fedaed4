"""Every route of the job service proves its authentication, enumerated from the service's
own route table (``deslab_hub.jobs.app.make_web_app``), not from a hand-kept list.

For every route and every method its handler implements: no credentials answer 401; another
user's token never reaches the owner's job (404) or data; a token in the URL (also with the
``Sec-Fetch-Mode: websocket`` header that makes JupyterHub's HubAuth read URL tokens) is
refused. The job service reads tokens from the ``Authorization`` header only (never a cookie),
so XSRF does not apply to it. The same checker run on a copy of the route table with one
handler's protection removed reports that route (the mutation check).
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from deslab_hub.jobs import handlers as H
from deslab_hub.jobs.app import make_web_app
from deslab_hub.jobs.ids import new_job_id
from tornado.web import RequestHandler

from tests.jobs.jobs_helpers import Client, Hub, free_port

pytestmark = pytest.mark.integration

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    pattern: str
    handler: type
    methods: tuple[str, ...]

    @property
    def public(self) -> bool:
        return not getattr(self.handler, "auth_required", True)


def route_table(app) -> list[Route]:
    """(pattern, handler class, implemented methods) of every rule of a tornado app."""
    out = []
    for rule in app.wildcard_router.rules:
        cls = rule.target
        methods = tuple(m for m in METHODS
                        if getattr(cls, m) is not getattr(RequestHandler, m))
        if cls is H.NotFoundHandler:
            methods = METHODS
        out.append(Route(rule.matcher.regex.pattern, cls, methods))
    return out


def concrete(pattern: str, job_id: str, name: str) -> str:
    """A path matching ``pattern`` with the job id and result name filled in."""
    path = pattern.rstrip("$").replace("/?", "")
    values = iter([job_id, name])
    path = re.sub(r"\(\[\^/\]\+\)", lambda _m: next(values), path)
    return path.replace(".*", "no-such-endpoint")


def _ctx(tmp: Path) -> H.Context:
    from deslab_hub.jobs.settings import JobServiceSettings

    settings = JobServiceSettings(data_dir=str(tmp), base_url="/services/jobs/")
    return H.Context(settings, None, None, None, None, None, None)  # type: ignore[arg-type]


def check_routes(routes: list[Route], base: str, owner: Client, other: Client,
                 job_id: str, result: str) -> list[str]:
    """Every way a route fails to prove authentication, as readable lines (empty: none)."""
    failures = []
    for route in routes:
        path = concrete(route.pattern, job_id, result)
        url = base + path
        for method in route.methods:
            body = {"json": {"name": "x"}} if method in ("post", "patch", "put") else {}
            where = f"{method.upper()} {route.pattern}"
            r = requests.request(method, url, timeout=30, **body)
            if route.public:
                if r.status_code >= 500 or job_id in r.text:
                    failures.append(f"{where}: public route answered {r.status_code}")
                continue
            if r.status_code != 401 or "Authorization" not in r.text:
                failures.append(f"{where} without credentials: {r.status_code}")
            for headers in ({}, {"Sec-Fetch-Mode": "websocket"}):
                r = requests.request(method, url, params={"token": owner.token},
                                     headers=headers, timeout=30, **body)
                if r.status_code < 400 or "URL" not in r.text:
                    failures.append(f"{where} with ?token= {headers}: {r.status_code}")
            r = other.request(method, path.split("/api", 1)[1], **body)
            if "([^/]+)" in route.pattern:
                if r.status_code != 404 or job_id not in r.text and "no such" not in r.text:
                    failures.append(f"{where} with another user's token: {r.status_code}")
            elif job_id in r.text:
                failures.append(f"{where} with another user's token shows the owner's job")
    return failures


def test_every_job_service_route_proves_its_authentication(hub: Hub, tmp_path) -> None:
    routes = route_table(make_web_app(_ctx(tmp_path)))
    assert len(routes) >= 10 and any(r.public for r in routes)
    patterns = {r.pattern for r in routes}
    assert any("results" in p for p in patterns) and any("events" in p for p in patterns)
    owner, other = hub.client("route-owner"), hub.client("route-other")
    job = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="r.csv")
    assert owner.wait(job["id"])["phase"] == "COMPLETED"
    base = hub.url  # the table's patterns hold the /services/jobs/ prefix
    failures = check_routes(routes, base, owner, other, job["id"], "r.csv")
    assert failures == []
    checked = sum(len(r.methods) for r in routes)
    assert checked >= 14
    # the owner's job survived all of that
    assert owner.get(f"/jobs/{job['id']}").json()["phase"] == "COMPLETED"


class _Served:
    """A tornado app served on a free port from a thread of its own (its own event loop)."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(app),),
                                        daemon=True)
        self._thread.start()
        assert self._ready.wait(30)

    async def _main(self, app) -> None:
        from tornado.httpserver import HTTPServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = HTTPServer(app)
        server.listen(self.port, "127.0.0.1")
        self._ready.set()
        await self._stop.wait()
        server.stop()

    def close(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def test_the_checker_reports_a_route_whose_protection_is_removed(hub: Hub, tmp_path,
                                                                 monkeypatch) -> None:
    """Mutation check: the same checker, on a copy of the route table where one handler no
    longer requires authentication, reports that route and only that one."""
    from deslab_hub.jobs.hubauth import HubIdentity
    from deslab_hub.jobs.store import Store

    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.jobsx_token)
    monkeypatch.setenv("JUPYTERHUB_API_URL", hub.api_url)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "jobsx")
    ctx = _ctx(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    ctx = H.Context(ctx.settings, store, None, None, None,  # type: ignore[arg-type]
                    HubIdentity(set(), _Log()), _Log())
    real = make_web_app(ctx)

    class Unprotected(H.JobHandler):  # what removing the check from one handler does
        auth_required = False

    mutated = make_web_app(ctx)
    for rule in mutated.wildcard_router.rules:
        if rule.target is H.JobHandler:
            rule.target = Unprotected
    owner, other = hub.client("mutant-owner"), hub.client("mutant-other")
    job_id = new_job_id()
    # the routes that must be protected are those of the real table
    routes = [r for r in route_table(real) if not r.public]
    found: dict[str, list[str]] = {}
    for label, app in (("real", real), ("mutated", mutated)):
        served = _Served(app)
        try:
            # only the no-credentials probe: this copy has no jobs, the service runs none
            found[label] = [f for f in check_routes(routes, f"http://127.0.0.1:{served.port}",
                                                    owner, other, job_id, "r.csv")
                            if "without credentials" in f]
        finally:
            served.close()
    store.close()
    assert found["real"] == []
    assert found["mutated"] and all(r"jobs/([^/]+)/?" in f for f in found["mutated"])
    assert {f.split()[0] for f in found["mutated"]} == {"GET", "PATCH", "DELETE"}


class _Log:
    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None

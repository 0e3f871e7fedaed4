"""Job handlers: the DES panel's calls to the job service, made with the user's own token.

The service is reached through :mod:`deslab.jobs.client` (``DESLAB_JOBS_URL`` and this
server's ``JUPYTERHUB_API_TOKEN``); the browser only sees this server's ``/deslab/api/jobs``.
Job records are passed on with the service's URLs left out and, for each job, ``dir`` (its
folder relative to this server's root, for the file browser) and each result's ``path``.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tornado.web

from deslab.jobs.client import client
from deslab.server.base import DeslabHandler
from deslab.server.errors import BadRequest
from deslab.settings import settings

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
# job-service calls wait on the network (events long-polls for up to 20 s): their own threads
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="deslab-jobs")
MAX_EVENTS_WAIT = 20


class JobServiceHandler(DeslabHandler):
    """Calls to the job service in threads of their own; records adapted to this server."""

    async def service(self, method: str, path: str, *, expect: tuple[int, ...] = (200,),
                      timeout: float = 60, **kwargs: Any) -> Any:
        def call() -> Any:
            r = client().request(method, path, expect=expect, timeout=timeout, **kwargs)
            return None if r.status_code == 204 else r.json()

        return await asyncio.get_running_loop().run_in_executor(_pool, call)

    def job_id(self, job_id: str) -> str:
        if not JOB_ID.match(job_id):
            raise tornado.web.HTTPError(404, "no such job: job ids are 32 lowercase hex digits")
        return job_id

    def adapt(self, job: dict[str, Any]) -> dict[str, Any]:
        """The job record for the browser: no service URLs; folders relative to our root."""
        out = {k: v for k, v in job.items() if k != "url"}
        folder = _relative_to_root(self.contents_manager.root_dir, job.get("path"))
        out["dir"] = folder
        out["results"] = [
            {"name": r.get("name"), "size": r.get("size"),
             "path": f"{folder}/{r.get('name')}" if folder else None}
            for r in job.get("results") or []
        ]
        return out


def _relative_to_root(root_dir: str, job_path: Any) -> str | None:
    """``<home>/<job_path>`` relative to the server's root directory (None: outside it)."""
    if not isinstance(job_path, str) or not job_path or ".." in job_path.split("/"):
        return None
    home = settings().home
    folder = (home / job_path).resolve()
    try:
        return folder.relative_to(Path(root_dir).expanduser().resolve()).as_posix()
    except ValueError:
        return None


class JobsHandler(JobServiceHandler):
    """``GET /deslab/api/jobs`` (the user's jobs) and ``POST`` (submit one)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        params = {k: self.get_query_argument(k) for k in ("phase", "type", "limit", "offset")
                  if self.get_query_argument(k, None) is not None}
        data = await self.service("GET", "/jobs", params=params)
        data["jobs"] = [self.adapt(j) for j in data.get("jobs", [])]
        self.reply(data)

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        if body.get("type") not in ("query", "cutout", "anomaly"):
            raise BadRequest("'type' must be one of: query, cutout, anomaly")
        job = await self.service("POST", "/jobs", json=body, expect=(201,))
        self.reply(self.adapt(job), 201)


class JobHandler(JobServiceHandler):
    """``GET``, ``PATCH`` (rename, renew) and ``DELETE /deslab/api/jobs/<id>``."""

    @tornado.web.authenticated
    async def get(self, job_id: str) -> None:
        job = await self.service("GET", f"/jobs/{self.job_id(job_id)}")
        self.reply(self.adapt(job))

    @tornado.web.authenticated
    async def patch(self, job_id: str) -> None:
        body = self.json_body()
        allowed = {"name", "lifetime_days", "destruction"}
        if not body or set(body) - allowed:
            raise BadRequest("give 'name' to rename a job, or 'lifetime_days' (or "
                             "'destruction') to renew it")
        job = await self.service("PATCH", f"/jobs/{self.job_id(job_id)}", json=body)
        self.reply(self.adapt(job))

    @tornado.web.authenticated
    async def delete(self, job_id: str) -> None:
        await self.service("DELETE", f"/jobs/{self.job_id(job_id)}", expect=(204,))
        self.set_status(204)
        self.finish()


class CancelHandler(JobServiceHandler):
    """``POST /deslab/api/jobs/<id>/cancel``."""

    @tornado.web.authenticated
    async def post(self, job_id: str) -> None:
        job = await self.service("POST", f"/jobs/{self.job_id(job_id)}/cancel",
                                 expect=(200, 202))
        self.reply(self.adapt(job), 202)


class EventsHandler(JobServiceHandler):
    """``GET /deslab/api/events?since=N&timeout=S``: the user's job events (long-poll)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            since = int(self.get_query_argument("since", "0"))
            wait = int(self.get_query_argument("timeout", "0"))
        except ValueError:
            raise BadRequest("'since' and 'timeout' must be whole numbers") from None
        if since < 0 or not 0 <= wait <= MAX_EVENTS_WAIT:
            raise BadRequest(f"'since' must be >= 0 and 'timeout' from 0 to {MAX_EVENTS_WAIT}")
        data = await self.service("GET", "/events", timeout=wait + 30,
                                  params={"since": since, "timeout": wait, "limit": 1000})
        self.reply(data)


class LimitsHandler(JobServiceHandler):
    """``GET /deslab/api/limits``: the user's quotas and usage."""

    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.service("GET", "/limits"))


ROUTES: list[tuple[str, type]] = [
    ("jobs", JobsHandler),
    ("jobs/([^/]+)", JobHandler),
    ("jobs/([^/]+)/cancel", CancelHandler),
    ("events", EventsHandler),
    ("limits", LimitsHandler),
]

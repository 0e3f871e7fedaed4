"""The REST API under ``<prefix>api/`` (described in ``openapi.yaml``); thin handlers.

Every handler except ``health`` and ``openapi.yaml`` needs a hub token. Jobs are visible to
their owner and to admins only: any other id answers 404 with the same message as an id that
does not exist. Errors are JSON ``{"status": code, "error": message}`` without tracebacks.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado.iostream import StreamClosedError
from tornado.web import HTTPError, RequestHandler

from deslab_hub.jobs import bodies, estimates, fields
from deslab_hub.jobs import types as jobtypes
from deslab_hub.jobs.events import EventHub, event_model
from deslab_hub.jobs.fields import iso
from deslab_hub.jobs.hubauth import Caller, HubIdentity
from deslab_hub.jobs.ids import is_valid_job_id, new_job_id
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.paths import PathError, home_dir, job_dir, result_path
from deslab_hub.jobs.phases import Phase
from deslab_hub.jobs.quotas import QuotaExceeded, Quotas
from deslab_hub.jobs.safefiles import UnsafeFile, open_regular
from deslab_hub.jobs.scheduler import Scheduler
from deslab_hub.jobs.settings import JobServiceSettings
from deslab_hub.jobs.store import Store

OPENAPI = Path(__file__).with_name("openapi.yaml")


@dataclass
class Context:
    """What the handlers share."""

    settings: JobServiceSettings
    store: Store
    scheduler: Scheduler
    events: EventHub
    quotas: Quotas
    identity: HubIdentity | None
    log: Any


class ApiError(HTTPError):
    """An error answered to the caller with ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status)
        self.message = message


class APIHandler(RequestHandler):
    auth_required = True
    caller: Caller

    def initialize(self, ctx: Context) -> None:
        self.ctx = ctx

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    async def prepare(self) -> None:
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.ctx.settings.max_body_bytes:
            raise ApiError(413, f"the request body is larger than "
                                f"{self.ctx.settings.max_body_bytes} bytes")
        if "token" in self.request.query_arguments:
            raise ApiError(400, "tokens in the URL are not accepted (they end up in logs and "
                                "browser history): send 'Authorization: token <token>'")
        if not self.auth_required:
            return
        if self.ctx.identity is None:
            raise ApiError(503, "the service has no hub to authenticate against")
        caller, why = await self.ctx.identity.identify(self)
        if caller is None:
            if why == "scope":
                raise ApiError(403, "this token may not use the job service: it needs the "
                                    "scope access:services!service=jobs")
            raise ApiError(401, "authentication required: send your JupyterHub token as "
                                "'Authorization: token <token>' (in a notebook it is "
                                "$JUPYTERHUB_API_TOKEN)")
        self.caller = caller

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            message = exc.message
        elif isinstance(exc, HTTPError) and status_code < 500:
            message = self._reason
        else:
            message = ("internal error of the job service; the operators find the details "
                       "in its log")
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"status": status_code, "error": message}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError):
            return
        super().log_exception(typ, value, tb)

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object, checked by :func:`bodies.parse_object` (else 400/413)."""
        try:
            return bodies.parse_object(self.request.body,
                                       max_bytes=self.ctx.settings.max_body_bytes)
        except bodies.BodyError as exc:
            raise ApiError(exc.status, str(exc)) from None

    # -- jobs helpers -------------------------------------------------------------------

    def jobs_root(self, owner: str) -> Path:
        s = self.ctx.settings
        try:
            return home_dir(s.home_dir_template, owner, s.data_dir, s.account_prefix) / "jobs"
        except PathError as exc:
            raise ApiError(400, f"{exc}; the job service cannot store results for it") from None

    def visible_job(self, job_id: str) -> JobRecord:
        """The job ``job_id`` if the caller may see it; 404 otherwise (no difference)."""
        if not is_valid_job_id(job_id):
            raise ApiError(404, "no such job: job ids are 32 lowercase hex digits, as "
                                "returned when the job was created")
        job = self.ctx.store.get_job(job_id)
        if job is None or job.deleting or not (
                job.owner == self.caller.name or self.caller.admin):
            raise ApiError(404, f"no job {job_id} among your jobs")
        return job

    def url(self, *parts: str) -> str:
        return self.ctx.settings.base_url + "api/" + "/".join(quote(p, safe="") for p in parts)

    def job_model(self, job: JobRecord) -> dict[str, Any]:
        results = []
        if job.phase == Phase.COMPLETED:  # as the worker reported them, never a disk listing
            for r in job.results or []:
                results.append({"name": r["name"], "size": r["size"],
                                "url": self.url("jobs", job.id, "results", str(r["name"]))})
        duration = None
        if job.started:
            duration = ((job.ended or datetime.now(UTC)) - job.started).total_seconds()
        return {
            "id": job.id,
            "owner": job.owner,
            "type": job.type,
            "name": job.name,
            "phase": job.phase,
            "created": iso(job.created),
            "started": iso(job.started),
            "ended": iso(job.ended),
            "duration": duration,
            "execution_duration": job.execution_duration,
            "destruction": iso(job.destruction),
            "quote": job.quote,
            "progress": job.progress,
            "progress_message": job.progress_message,
            "error": job.error,
            "summary": job.summary,
            "results": results,
            "results_bytes": job.results_bytes,
            "path": f"jobs/{job.id}",
            "parameters": job.params,
            "attempts": job.attempts,
            "email": job.notify_email,
            "url": self.url("jobs", job.id),
        }


class HealthHandler(APIHandler):
    auth_required = False

    def get(self) -> None:
        self.ctx.store.last_event_id()  # the database answers
        self.write_json({"status": "ok"})


class OpenAPIHandler(APIHandler):
    auth_required = False

    def get(self) -> None:
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(OPENAPI.read_bytes())


class NotFoundHandler(APIHandler):
    auth_required = False

    def prepare(self) -> None:  # type: ignore[override]
        raise ApiError(404, "no such API endpoint; see api/openapi.yaml for the API")


class TypesHandler(APIHandler):
    def get(self) -> None:
        self.write_json({"types": [
            {"name": t.name, "description": t.description}
            for t in jobtypes.JOB_TYPES.values()
        ]})


class LimitsHandler(APIHandler):
    def get(self) -> None:
        self.jobs_root(self.caller.name)  # a user name that cannot have storage: 400
        self.write_json({
            **self.ctx.settings.describe(),
            "active_jobs": self.ctx.store.count_active(self.caller.name),
            "disk_used_bytes": self.ctx.quotas.disk_usage(self.caller.name),
        })


def _int_arg(handler: APIHandler, name: str, default: int, lo: int, hi: int) -> int:
    raw = handler.get_argument(name, None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be an integer from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise ApiError(400, f"'{name}' must be an integer from {lo} to {hi}")
    return value


def _list_arg(handler: APIHandler, name: str, valid: list[str]) -> list[str] | None:
    raw = handler.get_arguments(name)
    if not raw:
        return None
    values = [v.strip() for item in raw for v in item.split(",") if v.strip()]
    bad = [v for v in values if v not in valid]
    if bad:
        raise ApiError(400, f"unknown {name} {bad[0][:40]!r}; valid: {', '.join(valid)}")
    return values


class JobsHandler(APIHandler):
    def get(self) -> None:
        phases = _list_arg(self, "phase", [p.value for p in Phase])
        types = _list_arg(self, "type", sorted(jobtypes.JOB_TYPES))
        limit = _int_arg(self, "limit", 100, 1, 1000)
        offset = _int_arg(self, "offset", 0, 0, 10**9)
        owner: str | None = self.caller.name
        wanted = self.get_argument("owner", None)
        if wanted is not None and wanted != self.caller.name:
            if not self.caller.admin:
                raise ApiError(403, "only admins may list other users' jobs")
            owner = None if wanted == "*" else wanted
        jobs, total = self.ctx.store.list_jobs(
            owner=owner, phases=phases, types=types, limit=limit, offset=offset
        )
        self.write_json({
            "jobs": [self.job_model(j) for j in jobs],
            "total": total,
            "limit": limit,
            "offset": offset,
        })

    async def post(self) -> None:
        body = self.json_body()
        now = datetime.now(UTC)
        try:
            jtype = jobtypes.get_type(body.get("type"))
            params = jtype.validate(body)
            common = fields.new_job_fields(body, jtype, params, self.ctx.settings, now)
        except jobtypes.ParamError as exc:
            raise ApiError(400, str(exc)) from None
        owner = self.caller.name
        root = self.jobs_root(owner)
        try:
            self.ctx.quotas.check_create(owner)
        except QuotaExceeded as exc:
            raise ApiError(429, str(exc)) from None
        job_id = new_job_id()
        job = JobRecord(
            id=job_id, owner=owner, type=jtype.name, name=common.name,
            phase=Phase.PENDING.value, params=params, created=now,
            execution_duration=common.execution_duration, destruction=common.destruction,
            quote=estimates.quote(self.ctx.store, jtype, params),
            progress=0.0, progress_message="", results_bytes=0,
            output_dir=str(job_dir(root.parent, job_id)), notify_email=common.email,
            expiry_warned=False, attempts=0,
        )
        self.ctx.store.add_job(job)
        self.ctx.store.transition(job_id, Phase.QUEUED, expect=[Phase.PENDING])
        self.ctx.scheduler.wake()
        self.ctx.log.info("job %s (%s) created by %s", job_id, jtype.name, owner)
        self.set_header("Location", self.url("jobs", job_id))
        self.write_json(self.job_model(self.ctx.store.get_job(job_id) or job), 201)


class JobHandler(APIHandler):
    def get(self, job_id: str) -> None:
        self.write_json(self.job_model(self.visible_job(job_id)))

    async def delete(self, job_id: str) -> None:
        job = self.visible_job(job_id)
        await self.ctx.scheduler.delete_job(job)
        self.set_status(204)
        self.finish()

    def patch(self, job_id: str) -> None:
        job = self.visible_job(job_id)
        try:
            changes = fields.patch_fields(self.json_body(), self.ctx.settings, datetime.now(UTC))
        except jobtypes.ParamError as exc:
            raise ApiError(400, str(exc)) from None
        if changes:
            self.ctx.store.update_job(job.id, **changes)
        self.write_json(self.job_model(self.ctx.store.get_job(job.id) or job))


class CancelHandler(APIHandler):
    async def post(self, job_id: str) -> None:
        job = self.visible_job(job_id)
        if Phase(job.phase).is_final:
            raise ApiError(409, f"job {job_id} has already ended ({job.phase}); there is "
                                "nothing to cancel")
        await self.ctx.scheduler.stop_job(job)
        self.write_json(self.job_model(self.ctx.store.get_job(job.id) or job), 202)


class ResultsHandler(APIHandler):
    def get(self, job_id: str) -> None:
        job = self.visible_job(job_id)
        self.write_json({"results": self.job_model(job)["results"], "path": f"jobs/{job.id}"})


class ResultFileHandler(APIHandler):
    async def get(self, job_id: str, name: str) -> None:
        job = self.visible_job(job_id)
        if job.phase != Phase.COMPLETED:
            raise ApiError(409, f"job {job_id} is {job.phase}; results can be downloaded "
                                "once it is COMPLETED")
        base = Path(job.output_dir)
        missing = f"no result {name[:100]!r} in job {job_id}"
        if base.is_symlink() or not base.resolve().is_relative_to(
                self.jobs_root(job.owner).resolve()):
            raise ApiError(404, missing)
        try:
            path = result_path(base, name)
            # off the event loop, no symlink followed, regular files only (never a FIFO)
            fd = await asyncio.to_thread(open_regular, base / name)
        except (PathError, FileNotFoundError):
            raise ApiError(404, missing) from None
        except UnsafeFile as exc:
            raise ApiError(404, f"{missing}: {exc}") from None
        with os.fdopen(fd, "rb") as f:
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.set_header("Content-Type", ctype)
            self.set_header("Content-Disposition", f"attachment; filename=\"{path.name}\"")
            self.set_header("Content-Length", str(os.fstat(fd).st_size))
            while chunk := await asyncio.to_thread(f.read, 1 << 20):
                self.write(chunk)
                try:
                    await self.flush()
                except StreamClosedError:
                    return
        self.finish()


class EventsHandler(APIHandler):
    """Events of the caller's jobs: long-poll JSON, or server-sent events."""

    def _since(self) -> int:
        last = self.request.headers.get("Last-Event-ID")
        if last and last.isdigit() and len(last) < 19:
            return int(last)
        return _int_arg(self, "since", 0, 0, 2**62)

    async def get(self) -> None:
        since = self._since()
        limit = _int_arg(self, "limit", 100, 1, 1000)
        if "text/event-stream" in self.request.headers.get("Accept", ""):
            await self._stream(since, limit)
            return
        timeout = _int_arg(self, "timeout", 25, 0, 60)
        owner = self.caller.name
        events = self.ctx.store.events_since(since, owner=owner, limit=limit)
        if not events and timeout > 0:
            deadline = datetime.now(UTC) + timedelta(seconds=timeout)
            while not events:
                left = (deadline - datetime.now(UTC)).total_seconds()
                if left <= 0 or self.request.connection.stream.closed():
                    break
                await self.ctx.events.wait(min(left, 5.0))
                events = self.ctx.store.events_since(since, owner=owner, limit=limit)
        last = events[-1].id if events else max(since, 0)
        self.write_json({"events": [event_model(e) for e in events], "last_id": last})

    async def _stream(self, since: int, limit: int) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        owner = self.caller.name
        started = datetime.now(UTC)
        try:
            self.write("retry: 3000\n\n")
            await self.flush()
            while (datetime.now(UTC) - started).total_seconds() < 600:
                events = self.ctx.store.events_since(since, owner=owner, limit=limit)
                for e in events:
                    self.write(f"id: {e.id}\nevent: {e.kind}\n"
                               f"data: {json.dumps(event_model(e))}\n\n")
                    since = e.id
                if not events:
                    self.write(": keep-alive\n\n")
                await self.flush()
                if not events:
                    await self.ctx.events.wait(15.0)
        except StreamClosedError:
            return
        self.finish()


def routes(ctx: Context) -> list[tuple[str, type, dict[str, Any]]]:
    """The URL routes of the API under the service prefix."""
    api = ctx.settings.base_url + "api/"
    kw = {"ctx": ctx}
    return [
        (api + "health", HealthHandler, kw),
        (api + "openapi.yaml", OpenAPIHandler, kw),
        (api + "types", TypesHandler, kw),
        (api + "limits", LimitsHandler, kw),
        (api + "events", EventsHandler, kw),
        (api + "jobs/?", JobsHandler, kw),
        (api + "jobs/([^/]+)/?", JobHandler, kw),
        (api + "jobs/([^/]+)/cancel", CancelHandler, kw),
        (api + "jobs/([^/]+)/results/?", ResultsHandler, kw),
        (api + "jobs/([^/]+)/results/([^/]+)", ResultFileHandler, kw),
        (api + ".*", NotFoundHandler, kw),
    ]

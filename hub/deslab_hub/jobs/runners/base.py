"""What the scheduler needs from a runner, and the worker's status file as the service reads it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.safefiles import read_capped

MAX_STATUS_BYTES = 1_000_000
WORKER_STATES = ("running", "completed", "error", "aborted")


@dataclass
class WorkerStatus:
    """What a worker last reported (see ``deslab.jobs.worker``)."""

    state: str
    progress: float
    message: str
    heartbeat: float
    summary: dict[str, Any] | None
    error: str | None

    @property
    def final(self) -> bool:
        return self.state != "running"


@dataclass
class WorkerHandle:
    """Where a worker runs, recorded on the job so a restarted service finds it again."""

    host: str
    pid: int | None
    ref: str


def read_status(path: Path) -> WorkerStatus | None:
    """Parse a worker's status file; None if it is missing or not a valid report.

    Raises
    ------
    UnsafeFile
        If something else than a regular file of at most ``MAX_STATUS_BYTES`` is there
        (a FIFO, a symlink, a directory, a huge file): the job cannot be followed.
    """
    raw = read_capped(path, MAX_STATUS_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("state") not in WORKER_STATES:
        return None
    try:
        progress = float(data.get("progress") or 0.0)
        heartbeat = float(data.get("heartbeat") or 0.0)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(progress):
        progress = 0.0
    summary = data.get("summary")
    error = data.get("error")
    return WorkerStatus(
        state=data["state"],
        progress=min(1.0, max(0.0, progress)),
        message=str(data.get("message") or "")[:500],
        heartbeat=heartbeat,
        summary=summary if isinstance(summary, dict) else None,
        error=str(error)[:2000] if error else None,
    )


class Runner(Protocol):
    """A place to run workers."""

    name: str

    async def start(self, job: JobRecord, spec: dict[str, Any], env: dict[str, str]
                    ) -> WorkerHandle:
        """Start the worker for ``job``."""

    def status(self, job: JobRecord) -> WorkerStatus | None:
        """The worker's last report."""

    def alive(self, job: JobRecord) -> bool | None:
        """Whether the worker still runs; None when this service cannot tell."""

    def exit_reason(self, job: JobRecord) -> str:
        """How the worker ended, in words, e.g. "killed by SIGKILL"."""

    async def terminate(self, job: JobRecord) -> None:
        """Ask the worker to stop (SIGTERM): it cancels and cleans up."""

    async def kill(self, job: JobRecord) -> None:
        """Stop the worker now (SIGKILL)."""

    def forget(self, job: JobRecord) -> None:
        """Drop the worker's files and handles once the job has ended."""

"""What the scheduler needs from a runner, and the worker's state as a runner reports it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.outcome import Outcome

WORKER_STATES = ("running", "completed", "error", "aborted")


@dataclass
class WorkerStatus:
    """What a worker last reported (see ``deslab_hub.jobs.outcome``).

    ``outcome`` is the worker's final report once there is one; a runner may also describe
    an end the worker could not report itself (a pod refused by the API, out of memory).
    """

    state: str
    progress: float
    message: str
    heartbeat: float
    summary: dict[str, Any] | None
    error: str | None
    outcome: Outcome | None = None

    @property
    def final(self) -> bool:
        return self.state != "running"

    @classmethod
    def from_outcome(cls, outcome: Outcome) -> WorkerStatus:
        done = outcome.state == "completed"
        return cls(state=outcome.state, progress=1.0 if done else 0.0,
                   message=outcome.state, heartbeat=time.time(), summary=outcome.summary,
                   error=outcome.error, outcome=outcome)


@dataclass
class WorkerHandle:
    """Where a worker runs, recorded on the job so a restarted service finds it again."""

    host: str
    pid: int | None
    ref: str


class Runner(Protocol):
    """A place to run workers."""

    name: str

    async def start(self, job: JobRecord, spec: dict[str, Any], env: dict[str, str]
                    ) -> WorkerHandle:
        """Start the worker for ``job``."""

    def status(self, job: JobRecord) -> WorkerStatus | None:
        """The worker's last report (read after :meth:`alive`, so a worker that ended has
        already reported everything it will)."""

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

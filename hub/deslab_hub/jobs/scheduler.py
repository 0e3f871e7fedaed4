"""The scheduler: starts queued jobs within the limits, follows workers, ends jobs.

One round every ``poll_interval`` seconds (or at once when a job is queued):

1. every EXECUTING job: read the worker's report; record progress; when the worker has
   ended, record COMPLETED/ERROR/ABORTED with results or the reason; a worker that died
   without a report is re-run (``lost_worker_retries``) or ends in ERROR; a job past its
   execution duration is stopped and ends in ERROR; a cancelled job that ignores SIGTERM
   gets SIGKILL after ``cancel_grace`` seconds;
2. QUEUED jobs, oldest first, start while the global and per-user limits allow.

The same round reconciles after a restart: workers that survived are followed again
(recognised by pid and process start time), dead ones are handled as in (1).
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deslab_hub.jobs import events as ev
from deslab_hub.jobs.background import repeat, stop_task
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.notify import Notifier
from deslab_hub.jobs.paths import home_dir, list_results, remove_tree
from deslab_hub.jobs.phases import Phase
from deslab_hub.jobs.runners.base import WorkerStatus
from deslab_hub.jobs.safefiles import UnsafeFile
from deslab_hub.jobs.store import Store


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Runs jobs through a runner; the only code that changes the phase of a started job."""

    def __init__(self, settings: Any, store: Store, runner: Any, events: ev.EventHub,
                 notifier: Notifier, log: Any) -> None:
        self.settings = settings
        self.store = store
        self.runner = runner
        self.events = events
        self.notifier = notifier
        self.log = log
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.cancelling: dict[str, tuple[float, Phase, str]] = {}  # id -> (since, phase, why)
        self.doomed: dict[str, tuple[JobRecord, float]] = {}  # deleted while running
        self._last_progress: dict[str, tuple[float, str]] = {}

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        for job in self.store.jobs_in([Phase.PENDING]):
            self.store.transition(job.id, Phase.QUEUED, expect=[Phase.PENDING])
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        await stop_task(self._task)

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        await repeat(self.tick, self._pause, self.log, "scheduler round")

    async def _pause(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
        except TimeoutError:
            pass
        self._wake.clear()

    async def tick(self) -> None:
        """One scheduling round."""
        refresh = getattr(self.runner, "refresh", None)
        if refresh is not None:
            await refresh()
        for job in self.store.jobs_in([Phase.EXECUTING]):
            await self._follow(job)
        await self._reap_doomed()
        await self._start_queued()

    # -- starting -----------------------------------------------------------------------

    def jobs_root(self, owner: str) -> Path:
        return home_dir(
            self.settings.home_dir_template, owner, self.settings.data_dir,
            self.settings.account_prefix,
        ) / "jobs"

    def worker_env(self, job: JobRecord) -> dict[str, str]:
        env = {
            name: os.environ[name]
            for name in self.settings.worker_env_passthrough
            if name in os.environ
        }
        env.update(self.settings.worker_environment)
        home = str(self.jobs_root(job.owner).parent)
        env.update({
            "HOME": home,
            "DESLAB_HOME": home,
            "DESLAB_JOB_ID": job.id,
            "DESLAB_JOB_OWNER": job.owner,
            "PYTHONUNBUFFERED": "1",
        })
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        return env

    async def _start_queued(self) -> None:
        running = self.store.jobs_in([Phase.EXECUTING])
        free = self.settings.max_running - len(running)
        if free <= 0:
            return
        per_user: dict[str, int] = {}
        for job in running:
            per_user[job.owner] = per_user.get(job.owner, 0) + 1
        for job in self.store.jobs_in([Phase.QUEUED]):
            if free <= 0:
                break
            if per_user.get(job.owner, 0) >= self.settings.max_running_per_user:
                continue
            if await self._launch(job):
                per_user[job.owner] = per_user.get(job.owner, 0) + 1
                free -= 1

    async def _launch(self, job: JobRecord) -> bool:
        now = utcnow()
        if not self.store.transition(
            job.id, Phase.EXECUTING, expect=[Phase.QUEUED], started=now,
            attempts=job.attempts + 1, runner=self.runner.name, progress=0.0,
            progress_message="starting", heartbeat=now,
        ):
            return False
        params = dict(job.params or {})
        spec = {
            "job_id": job.id,
            "type": job.type,
            "owner": job.owner,
            "params": params,
            "output_dir": job.output_dir,
        }
        try:
            # pods create it on the owner's volume; run as the owner, the runner does
            if self.runner.name == "local" and not self.settings.run_as_owner:
                Path(job.output_dir).mkdir(parents=True, exist_ok=True)
            handle = await self.runner.start(job, spec, self.worker_env(job))
        except Exception as exc:
            self.log.exception("could not start a worker for job %s", job.id)
            await self._finish(job.id, Phase.ERROR, [Phase.EXECUTING],
                               error=f"the job service could not start a worker: {exc}")
            return False
        self.store.update_job(job.id, worker_host=handle.host, worker_pid=handle.pid,
                              worker_ref=handle.ref)
        self.log.info("job %s (%s, %s) started: %s pid %s", job.id, job.type, job.owner,
                      handle.host, handle.pid)
        return True

    # -- following ----------------------------------------------------------------------

    async def _follow(self, job: JobRecord) -> None:
        try:  # off the event loop: a runner may read a file
            status = await asyncio.to_thread(self.runner.status, job)
        except UnsafeFile as exc:
            status = None
            if job.id not in self.cancelling:
                self.log.warning("job %s: unreadable status report: %s", job.id, exc)
                await self.stop_job(job, Phase.ERROR, (
                    f"the job's status report could not be read safely ({exc}), so the job "
                    "was stopped and its partial results removed; leave the files of running "
                    "jobs alone and submit it again"
                ))
        alive = self.runner.alive(job)
        now = time.time()
        if alive is None:  # cannot see the process: trust a fresh heartbeat only
            beat = status.heartbeat if status else (
                job.heartbeat.timestamp() if job.heartbeat else 0
            )
            alive = (status is None or not status.final) and (
                now - beat < self.settings.heartbeat_timeout
            )
        if alive:
            await self._check_running(job, status)
            return
        await self._worker_ended(job, status)

    async def _check_running(self, job: JobRecord, status: WorkerStatus | None) -> None:
        if status is not None:
            key = (round(status.progress, 3), status.message)
            if self._last_progress.get(job.id) != key:
                self._last_progress[job.id] = key
                self.store.update_job(
                    job.id, progress=status.progress, progress_message=status.message,
                    heartbeat=datetime.fromtimestamp(status.heartbeat, UTC),
                )
        mono = time.monotonic()
        pending = self.cancelling.get(job.id)
        if pending is None and job.started is not None:
            ran = (utcnow() - job.started).total_seconds()
            if ran > job.execution_duration:
                await self.stop_job(job, Phase.ERROR, (
                    f"the job ran longer than its execution duration of "
                    f"{job.execution_duration} s and was stopped; submit it again with a larger "
                    f"execution_duration (at most {self.settings.max_execution_duration} s) or "
                    "ask for less"
                ))
        elif pending is not None and mono - pending[0] > self.settings.cancel_grace:
            self.log.warning("job %s ignored SIGTERM for %.0f s: SIGKILL", job.id,
                             self.settings.cancel_grace)
            await self.runner.kill(job)

    async def _worker_ended(self, job: JobRecord, status: WorkerStatus | None) -> None:
        pending = self.cancelling.pop(job.id, None)
        self._last_progress.pop(job.id, None)
        if status is not None and status.state == "completed":  # finished before the signal
            results = list_results(Path(job.output_dir))
            await self._finish(
                job.id, Phase.COMPLETED, [Phase.EXECUTING], summary=status.summary or {},
                results=results, results_bytes=sum(int(r["size"]) for r in results),
                progress=1.0, progress_message="completed",
            )
        elif pending is not None:
            _since, phase, why = pending
            await self._finish(job.id, phase, [Phase.EXECUTING], error=why, clear=True)
        elif status is not None and status.state == "error":
            await self._finish(job.id, Phase.ERROR, [Phase.EXECUTING],
                               error=status.error or "the job failed", clear=True)
        elif status is not None and status.state == "aborted":
            await self._finish(job.id, Phase.ABORTED, [Phase.EXECUTING],
                               error="the job was cancelled", clear=True)
        else:
            await self._lost(job)
        self.runner.forget(job)

    async def _lost(self, job: JobRecord) -> None:
        reason = self.runner.exit_reason(job)
        if job.attempts <= self.settings.lost_worker_retries:
            if self.store.transition(
                job.id, Phase.QUEUED, expect=[Phase.EXECUTING], worker_pid=None,
                worker_host=None, worker_ref=None, progress=0.0,
                progress_message=f"re-queued: {reason}",
            ):
                self.log.warning("job %s: %s; queued again (attempt %d)", job.id, reason,
                                 job.attempts + 1)
                remove_tree(Path(job.output_dir), self.jobs_root(job.owner))
                self.wake()
            return
        await self._finish(job.id, Phase.ERROR, [Phase.EXECUTING], clear=True, error=(
            f"{reason} before the job finished (attempt {job.attempts} of "
            f"{self.settings.lost_worker_retries + 1}); its partial results were removed. "
            "Submit it again; if this repeats, ask for a smaller result or contact the operators"
        ))

    async def _finish(self, job_id: str, phase: Phase, expect: list[Phase], *,
                      clear: bool = False, **fields: Any) -> bool:
        """Move a job to a final phase, tell its owner, e-mail if asked."""
        if not self.store.transition(job_id, phase, expect=expect, ended=utcnow(), **fields):
            return False
        job = self.store.get_job(job_id)
        if job is None:
            return False
        if clear and phase != Phase.COMPLETED:
            remove_tree(Path(job.output_dir), self.jobs_root(job.owner))
        label = job.name or job.id
        text = {
            Phase.COMPLETED: f"job {label!r} completed",
            Phase.ERROR: f"job {label!r} failed: {job.error or ''}",
            Phase.ABORTED: f"job {label!r} was cancelled",
        }.get(phase, f"job {label!r}: {phase}")
        self.events.publish(job.owner, job.id, ev.PHASE, phase=str(phase), message=text[:2000])
        self.log.info("job %s -> %s", job_id, phase)
        await self.notifier.job_ended(job)
        return True

    # -- cancelling and deleting --------------------------------------------------------

    async def stop_job(self, job: JobRecord, phase: Phase = Phase.ABORTED,
                       why: str = "the job was cancelled") -> None:
        """Cancel ``job``: at once if it has not started, through its worker otherwise."""
        if job.phase in (Phase.PENDING, Phase.QUEUED):
            if await self._finish(job.id, phase, [Phase.PENDING, Phase.QUEUED], error=why):
                return
            job = self.store.get_job(job.id) or job
        if job.phase == Phase.EXECUTING and job.id not in self.cancelling:
            self.cancelling[job.id] = (time.monotonic(), phase, why)
            await self.runner.terminate(job)
            self.wake()

    async def delete_job(self, job: JobRecord) -> None:
        """Remove a job's record and results; a running worker is stopped first."""
        if job.phase == Phase.EXECUTING:
            self.cancelling.pop(job.id, None)
            await self.runner.terminate(job)
            self.doomed[job.id] = (job, time.monotonic())
        self.store.delete_job(job.id)
        remove_tree(Path(job.output_dir), self.jobs_root(job.owner))
        if job.id not in self.doomed:
            self.runner.forget(job)
            purge = getattr(self.runner, "purge", None)
            if purge:
                purge(job.id)

    async def _reap_doomed(self) -> None:
        for job_id, (job, since) in list(self.doomed.items()):
            if self.runner.alive(job):
                if time.monotonic() - since > self.settings.cancel_grace:
                    await self.runner.kill(job)
                continue
            self.doomed.pop(job_id, None)
            remove_tree(Path(job.output_dir), self.jobs_root(job.owner))
            self.runner.forget(job)
            purge = getattr(self.runner, "purge", None)
            if purge:
                purge(job_id)

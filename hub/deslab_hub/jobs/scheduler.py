"""The scheduler: starts queued jobs within the limits, follows workers, ends jobs.

One round every ``poll_interval`` seconds (or at once when a job is queued):

1. every EXECUTING job: read the worker's report (``deslab_hub.jobs.outcome``: never a file
   in the owner's storage); record progress; when the worker has ended, record
   COMPLETED/ERROR/ABORTED with the reported results (names, sizes) or the reason; a worker
   that died without a report is re-run (``lost_worker_retries``) or ends in ERROR; a job past its
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
from deslab_hub.jobs.paths import home_dir, remove_tree
from deslab_hub.jobs.phases import Phase
from deslab_hub.jobs.quotas import human_bytes
from deslab_hub.jobs.runners.base import WorkerStatus
from deslab_hub.jobs.safefiles import UnsafeFile
from deslab_hub.jobs.store import Store

QUOTA_WAIT = "waiting for room in the disk quota held by your running jobs"


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
        # stops and deletions are recorded on the job (stop_*, deleting) before the worker is
        # signalled; this set only remembers which workers this process has signalled
        self._signalled: set[str] = set()
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
            if job.deleting:
                await self._reap_deleted(job)
            else:
                await self._follow(job)
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
            slots = self.settings.max_running_per_user - per_user.get(job.owner, 0)
            budget = await self._budget(job, per_user.get(job.owner, 0), slots)
            if budget is False:
                continue
            if await self._launch(job, budget):
                per_user[job.owner] = per_user.get(job.owner, 0) + 1
                free -= 1

    async def _budget(self, job: JobRecord, running: int, slots: int) -> int | None | bool:
        """Bytes ``job`` may write (None: no quota; False: not now).

        The room left in the owner's quota (completed results and other running jobs'
        reservations counted) is shared equally among the owner's free job slots
        (``max_running_per_user`` less the running jobs), so jobs running at once can never
        together pass the quota. With no room, the job waits while other jobs of the owner
        run (they may end with less than they reserved), and ends in ERROR naming the quota
        otherwise.
        """
        quota = self.settings.disk_quota_bytes
        if not quota:
            return None
        room = quota - self.store.quota_used(job.owner)
        if room > 0:
            return max(1, room // max(1, slots))
        if running:
            if job.progress_message != QUOTA_WAIT:
                self.store.update_job(job.id, progress_message=QUOTA_WAIT)
            return False
        await self._finish(job.id, Phase.ERROR, [Phase.QUEUED], error=(
            f"disk quota for job results reached (disk_quota_bytes = {human_bytes(quota)}) "
            "before the job could start; delete results you no longer need (Job.delete()), "
            "then submit it again"
        ))
        return False

    async def _launch(self, job: JobRecord, budget: int | None = None) -> bool:
        now = utcnow()
        if not self.store.transition(
            job.id, Phase.EXECUTING, expect=[Phase.QUEUED], started=now,
            attempts=job.attempts + 1, runner=self.runner.name, progress=0.0,
            progress_message="starting", heartbeat=now, reserved_bytes=budget,
            stop_phase=None, stop_reason=None, stop_requested=None,
        ):
            return False
        params = dict(job.params or {})
        spec = {
            "job_id": job.id,
            "type": job.type,
            "owner": job.owner,
            "params": params,
            "output_dir": job.output_dir,
            # the worker stops the job when its files pass this (checked per write batch)
            "byte_budget": budget,
            "disk_quota_bytes": self.settings.disk_quota_bytes or None,
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
        alive = self.runner.alive(job)  # first: a worker seen ended has reported all it will
        try:  # off the event loop: a runner may read a file
            status = await asyncio.to_thread(self.runner.status, job)
        except UnsafeFile as exc:
            status = None
            if job.stop_requested is None:
                self.log.warning("job %s: unreadable status report: %s", job.id, exc)
                await self.stop_job(job, Phase.ERROR, (
                    f"the job's status report could not be read safely ({exc}), so the job "
                    "was stopped and its partial results removed; leave the files of running "
                    "jobs alone and submit it again"
                ))
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
        if job.stop_requested is not None:
            await self._enforce_stop(job)
            return
        if status is not None and time.time() - status.heartbeat > (
                self.settings.heartbeat_timeout):
            await self.stop_job(job, Phase.ERROR, (
                f"the worker stopped reporting (no heartbeat for "
                f"{time.time() - status.heartbeat:.0f} s, heartbeat_timeout = "
                f"{self.settings.heartbeat_timeout:g} s) and was stopped; its partial results "
                "were removed. Submit the job again; if this repeats, contact the operators"
            ))
            return
        enforced = getattr(self.runner, "enforces_execution_duration", False)
        if job.started is not None and not enforced:
            ran = (utcnow() - job.started).total_seconds()
            if ran > job.execution_duration:
                await self.stop_job(job, Phase.ERROR, (
                    f"the job ran longer than its execution duration of "
                    f"{job.execution_duration} s and was stopped; submit it again with a larger "
                    f"execution_duration (at most {self.settings.max_execution_duration} s) or "
                    "ask for less"
                ))

    async def _enforce_stop(self, job: JobRecord) -> None:
        """A recorded stop of a live worker: SIGTERM once per service run, SIGKILL once
        ``cancel_grace`` has passed since it was recorded (also across a restart)."""
        if job.id not in self._signalled:
            self._signalled.add(job.id)
            await self.runner.terminate(job)
        since = job.stop_requested or utcnow()
        if (utcnow() - since).total_seconds() > self.settings.cancel_grace:
            self.log.warning("job %s ignored SIGTERM for %.0f s: SIGKILL", job.id,
                             self.settings.cancel_grace)
            await self.runner.kill(job)

    async def _worker_ended(self, job: JobRecord, status: WorkerStatus | None) -> None:
        self._signalled.discard(job.id)
        pending = (job.stop_phase, job.stop_reason) if job.stop_requested else None
        self._last_progress.pop(job.id, None)
        if status is not None and status.state == "completed":  # finished before the signal
            outcome = status.outcome
            results = outcome.results if outcome else []
            summary = dict(status.summary or {})
            if outcome is not None and not outcome.complete_listing:
                summary["result_files"] = outcome.files  # the listing names the first ones
            await self._finish(
                job.id, Phase.COMPLETED, [Phase.EXECUTING], summary=summary,
                results=results, results_bytes=outcome.bytes if outcome else 0,
                progress=1.0, progress_message=status.message or "completed",
            )
        elif pending is not None:
            phase, why = pending
            await self._finish(job.id, Phase(phase or Phase.ABORTED), [Phase.EXECUTING],
                               error=why or "the job was cancelled", clear=True)
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
                worker_host=None, worker_ref=None, progress=0.0, reserved_bytes=None,
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
        if not self.store.transition(job_id, phase, expect=expect, ended=utcnow(),
                                     reserved_bytes=None, **fields):
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
        """Cancel ``job``: at once if it has not started, through its worker otherwise.

        For a running job the intent (phase, reason, time) is stored before the worker is
        signalled, so a service killed in between finishes the stop after its restart.
        """
        if job.phase in (Phase.PENDING, Phase.QUEUED):
            if await self._finish(job.id, phase, [Phase.PENDING, Phase.QUEUED], error=why):
                return
            job = self.store.get_job(job.id) or job
        if job.phase == Phase.EXECUTING and job.stop_requested is None:
            if self.store.transition(job.id, Phase.EXECUTING, expect=[Phase.EXECUTING],
                                     stop_phase=str(phase), stop_reason=why,
                                     stop_requested=utcnow()):
                self._signalled.add(job.id)
                await self.runner.terminate(job)
                self.wake()

    async def delete_job(self, job: JobRecord) -> None:
        """Remove a job's record and results; a running worker is stopped first.

        A running job is marked ``deleting`` (hidden from then on) before its worker is
        signalled; its record and files go once the worker is gone, after a restart too.
        """
        if job.phase == Phase.EXECUTING:
            if self.store.transition(job.id, Phase.EXECUTING, expect=[Phase.EXECUTING],
                                     deleting=True,
                                     stop_requested=job.stop_requested or utcnow()):
                self._signalled.add(job.id)
                await self.runner.terminate(job)
                self.wake()
                return
            job = self.store.get_job(job.id) or job
        self._purge(job)

    def _purge(self, job: JobRecord) -> None:
        self.store.delete_job(job.id)
        remove_tree(Path(job.output_dir), self.jobs_root(job.owner))
        self._signalled.discard(job.id)
        self.runner.forget(job)
        purge = getattr(self.runner, "purge", None)
        if purge:
            purge(job.id)

    async def _reap_deleted(self, job: JobRecord) -> None:
        """A job deleted while running: its worker is stopped, then record and files go."""
        if self.runner.alive(job):
            await self._enforce_stop(job)
            return
        self.log.info("job %s: worker gone, deleted", job.id)
        self._purge(job)

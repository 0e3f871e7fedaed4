"""Expiry: warn before a job's destruction time, then remove its results and record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deslab_hub.jobs import events as ev
from deslab_hub.jobs.background import repeat, stop_task
from deslab_hub.jobs.paths import remove_tree
from deslab_hub.jobs.phases import Phase
from deslab_hub.jobs.scheduler import Scheduler


class Sweeper:
    """Every ``sweep_interval`` seconds: warnings, removals, old events pruned."""

    def __init__(self, settings: Any, scheduler: Scheduler, log: Any) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.store = scheduler.store
        self.events = scheduler.events
        self.log = log
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _loop(self) -> None:
        await repeat(self.sweep, self._pause, self.log, "expiry sweep")

    async def _pause(self) -> None:
        await asyncio.sleep(self.settings.sweep_interval)

    async def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """One sweep; returns how many jobs were warned about and removed."""
        now = now or datetime.now(UTC)
        warn_before = now + timedelta(hours=self.settings.expiry_warning_hours)
        warned = removed = 0
        for job in self.store.expiring(warn_before):
            if job.destruction <= now:
                continue
            self.store.update_job(job.id, expiry_warned=True)
            self.events.publish(
                job.owner, job.id, ev.EXPIRING, phase=job.phase,
                message=(
                    f"job {job.name or job.id!r} and its results in ~/jobs/{job.id}/ will be "
                    f"deleted at {job.destruction:%Y-%m-%d %H:%M} UTC; renew it (Job.renew() "
                    "or PATCH with a later destruction) or copy what you need"
                ),
            )
            warned += 1
        for job in self.store.expired(now):
            if job.phase == Phase.EXECUTING:
                await self.scheduler.delete_job(job)
            else:
                self.store.delete_job(job.id)
                remove_tree(Path(job.output_dir), self.scheduler.jobs_root(job.owner))
                purge = getattr(self.scheduler.runner, "purge", None)
                if purge:
                    purge(job.id)
            self.events.publish(
                job.owner, job.id, ev.EXPIRED, phase=job.phase,
                message=f"job {job.name or job.id!r} reached its destruction time and was "
                "removed with its results",
            )
            removed += 1
        cutoff = now - timedelta(days=self.settings.events_retention_days)
        self.store.prune_events(cutoff)
        return {"warned": warned, "removed": removed}

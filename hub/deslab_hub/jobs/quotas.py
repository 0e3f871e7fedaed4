"""Per-user limits: checked when a job is created (429 beyond) and when it starts (budget)."""

from __future__ import annotations

from typing import Any

from deslab_hub.jobs.store import Store


class QuotaExceeded(Exception):
    """A user limit is reached; the message names it and says how to free room."""


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class Quotas:
    """Concurrent-job and disk limits of each user.

    Disk use is counted from the job records, never by walking the user's storage: the
    results of completed jobs plus the bytes every executing job has reserved (its budget,
    which its worker enforces per write batch; see ``Scheduler._budget``). No cache can be
    stale, and jobs running at once cannot together pass the quota. A new job is refused
    (429) once completed results fill the quota; while running jobs hold the room, it is
    accepted and waits.
    """

    def __init__(self, settings: Any, store: Store) -> None:
        self.settings = settings
        self.store = store

    def disk_usage(self, username: str) -> int:
        """Bytes of ``username``'s quota in use (completed results + running reservations)."""
        return self.store.quota_used(username)

    def check_create(self, username: str) -> None:
        """Raise :class:`QuotaExceeded` if ``username`` may not create a job now."""
        limit = self.settings.max_active_per_user
        active = self.store.count_active(username)
        if limit and active >= limit:
            raise QuotaExceeded(
                f"limit on concurrent jobs reached (max_active_per_user = {limit}): you have "
                f"{active} jobs pending, queued or executing. Wait for one to finish or cancel "
                "one (Job.cancel() or POST .../api/jobs/<id>/cancel), then submit again."
            )
        quota = self.settings.disk_quota_bytes
        if quota:
            used = self.store.quota_used(username, running=False)
            if used >= quota:
                raise QuotaExceeded(
                    f"disk quota for job results reached (disk_quota_bytes = "
                    f"{human_bytes(quota)}): the results of your jobs hold "
                    f"{human_bytes(used)}. Delete results you no longer need (Job.delete() or "
                    "DELETE .../api/jobs/<id>), then submit again."
                )

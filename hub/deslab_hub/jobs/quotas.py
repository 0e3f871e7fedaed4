"""Per-user limits checked when a job is created; exceeding one answers 429."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from deslab_hub.jobs.paths import tree_bytes
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
    """Concurrent-job and disk limits of each user."""

    def __init__(self, settings: Any, store: Store, cache_seconds: float = 5.0) -> None:
        self.settings = settings
        self.store = store
        self.cache_seconds = cache_seconds
        self._usage: dict[str, tuple[float, int]] = {}

    def disk_usage(self, username: str, jobs_root: Path) -> int:
        """Bytes under the user's ``~/jobs`` (cached for a few seconds)."""
        hit = self._usage.get(username)
        now = time.monotonic()
        if hit and now - hit[0] < self.cache_seconds:
            return hit[1]
        used = tree_bytes(jobs_root) if jobs_root.is_dir() else 0
        self._usage[username] = (now, used)
        return used

    def forget(self, username: str) -> None:
        self._usage.pop(username, None)

    def check_create(self, username: str, jobs_root: Path) -> None:
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
            used = self.disk_usage(username, jobs_root)
            if used >= quota:
                raise QuotaExceeded(
                    f"disk quota for job results reached (disk_quota_bytes = "
                    f"{human_bytes(quota)}): your ~/jobs holds {human_bytes(used)}. Delete "
                    "results you no longer need (Job.delete() or DELETE .../api/jobs/<id>), "
                    "then submit again."
                )

    def room_left(self, username: str, jobs_root: Path) -> int | None:
        """Bytes the user may still write under ``~/jobs`` (None: no limit)."""
        quota = self.settings.disk_quota_bytes
        if not quota:
            return None
        return max(0, quota - self.disk_usage(username, jobs_root))

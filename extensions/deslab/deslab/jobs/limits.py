"""Limits a job worker enforces on itself: the bytes it may write, the memory it may use.

The job service gives each job a **byte budget**: its share of the room left in the owner's
disk quota (``disk_quota_bytes``), counting other jobs' results and reservations. The worker
measures the job's folder after every write batch (each ``progress`` report of a task) and
stops the job with :class:`DiskQuotaExceeded` once it holds more; the export then removes its
partial files and the job ends in ERROR naming the quota.

The **memory limit** (``worker_memory_limit`` of the service, ``--memory-limit`` of the
worker) caps the worker's address space with ``RLIMIT_AS``: an allocation past it fails
(``MemoryError``, or the database's out-of-memory error) and the job ends in ERROR saying
the limit was reached.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

from deslab.errors import DeslabError

#: The address-space limit this worker runs under (bytes; None: none), for error messages.
memory_limit: int | None = None


class DiskQuotaExceeded(DeslabError):
    """The job wrote more than its share of the owner's disk quota."""


def human_bytes(n: float) -> str:
    """``20000`` -> ``"20.0 kB"`` (decimal units, as the job service writes them)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def folder_bytes(path: Path) -> tuple[int, int]:
    """Bytes and number of the files under ``path`` (symlinks not followed)."""
    total = count = 0
    for root, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            count += 1
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total, count


class ByteBudget:
    """The bytes a job may write into its folder, checked after each write batch.

    Parameters
    ----------
    folder : Path
        The job's folder (``~/jobs/<id>/``).
    budget : int or None
        Bytes the job may hold there; None: no limit.
    quota : int or None
        The owner's whole quota, for the message.

    Measuring walks the folder. It is done after every batch while the folder holds at most
    :attr:`EVERY_BATCH_FILES` files (an export's few files); with more (a cutout batch of
    thousands of stamps) at most once per twenty times its own cost, so checking stays a
    small share of the job's time.
    """

    EVERY_BATCH_FILES = 1000

    def __init__(self, folder: Path, budget: int | None, quota: int | None = None) -> None:
        self.folder = folder
        self.budget = budget
        self.quota = quota
        self._next = 0.0

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ByteBudget:
        budget = spec.get("byte_budget")
        quota = spec.get("disk_quota_bytes")
        return cls(Path(spec["output_dir"]), int(budget) if budget is not None else None,
                   int(quota) if quota else None)

    def check(self, *, force: bool = False) -> None:
        """Raise :class:`DiskQuotaExceeded` if the folder holds more than the budget."""
        if self.budget is None:
            return
        now = time.monotonic()
        if not force and now < self._next:
            return
        used, files = folder_bytes(self.folder)
        if files > self.EVERY_BATCH_FILES:
            self._next = now + 20 * (time.monotonic() - now)
        if used > self.budget:
            quota = f"disk_quota_bytes = {human_bytes(self.quota)}; " if self.quota else ""
            raise DiskQuotaExceeded(
                f"the job passed your disk quota for job results while writing ({quota}this "
                f"job had room for {human_bytes(self.budget)} and wrote "
                f"{human_bytes(used)}); it was stopped and its partial files removed. Delete "
                "results you no longer need (deslab.jobs(), Job.delete()) or ask for a "
                "smaller result, then submit it again"
            )


def apply_memory_limit(limit: int | None) -> None:
    """Cap this process's address space at ``limit`` bytes (``RLIMIT_AS``; None/0: none)."""
    global memory_limit
    if not limit:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    memory_limit = limit


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is an allocation that failed."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        text = str(e).lower()
        if isinstance(e, MemoryError) or "out of memory" in text or "bad_alloc" in text \
                or "more memory than" in text or "cannot allocate memory" in text:
            return True
        e = e.__cause__ or e.__context__
    return False


def memory_message(exc: BaseException) -> str | None:
    """The job's error when it failed for lack of memory under the limit; else None."""
    if memory_limit is None or not out_of_memory(exc):
        return None
    return (
        f"the job ran out of memory: its worker may use at most {human_bytes(memory_limit)} "
        "(worker_memory_limit of the job service). Ask for fewer rows or columns (or split "
        "the job), or ask the operators for a larger limit"
    )

"""Quotes: how long a new job should run, learned from the jobs of its type that completed.

UWS gives every job a *quote*, the service's estimate of its execution time. The service
has no model of the catalog or the tiles, but it has a record of what earlier jobs took:

- when a job type measures its size in work units (:attr:`JobType.work`; a cutout job: the
  files it cuts), the quote is the median time per unit of the last completed jobs of that
  type, times the new job's units;
- otherwise it is the median duration of those jobs;
- with fewer than :data:`MIN_SAMPLES` of them, or for a job whose size cannot be told from its
  parameters, there is no quote (``null``), as UWS allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import median
from typing import Any

from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.store import Store
from deslab_hub.jobs.types import JobType

#: completed jobs of the same type a quote is learned from (the most recent ones)
HISTORY = 20
#: fewer completed jobs than this give no quote
MIN_SAMPLES = 3


def _seconds(job: JobRecord) -> float | None:
    if job.started is None or job.ended is None:
        return None
    return max((job.ended - job.started).total_seconds(), 0.0)


def estimate(jtype: JobType, params: Mapping[str, Any], history: list[JobRecord]) -> float | None:
    """Estimated execution seconds of a job of ``jtype`` with ``params``, or None.

    Parameters
    ----------
    jtype : JobType
        The new job's type.
    params : dict
        Its validated parameters.
    history : list of JobRecord
        Completed jobs of the same type (any owner), most recent first.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> from deslab_hub.jobs.types import JOB_TYPES
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> done = [JobRecord(params={"positions": [[0, 0]] * 100, "bands": "g", "rgb": False},
    ...                   started=t0, ended=t0 + timedelta(seconds=s)) for s in (9, 10, 12)]
    >>> estimate(JOB_TYPES["cutout"], {"positions": [[0, 0]] * 50, "rgb": True}, done)
    20.0
    >>> estimate(JOB_TYPES["cutout"], {"positions": [[0, 0]] * 50, "rgb": True}, done[:2])
    """
    units = None
    if jtype.work is not None:
        units = jtype.work(params)
        if units is None:
            return None  # this job's size is unknown (e.g. positions in a file)
    samples: list[float] = []
    for job in history:
        seconds = _seconds(job)
        if seconds is None:
            continue
        if jtype.work is None:
            samples.append(seconds)
        elif done_units := jtype.work(job.params or {}):
            samples.append(seconds / done_units)
    if len(samples) < MIN_SAMPLES:
        return None
    typical = median(samples)
    return round(typical * units if units is not None else typical, 1)


def quote(store: Store, jtype: JobType, params: Mapping[str, Any]) -> float | None:
    """:func:`estimate` from the store's record of completed jobs of the same type."""
    return estimate(jtype, params, store.recent_completed(jtype.name, HISTORY))

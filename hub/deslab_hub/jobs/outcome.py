"""What a job worker reports to the job service, and how the service reads it.

The service never learns a job's outcome from a file in user-writable storage (a user's
kernel could forge or delete it, and with per-user volumes the service cannot even see it).
The worker (``deslab.jobs.worker``, which encodes these documents) reports through a channel
only it can write:

- **local runner**: a FIFO in the service's private state directory. The service opens it
  before starting the worker and hands the worker only the write end (an inherited file
  descriptor, never a path the user can open); the worker makes itself non-dumpable, so no
  other process of its user can take that descriptor from ``/proc``. The FIFO outlives a
  crash of the service: a restarted service opens it again by path and reads what the
  surviving worker wrote. With the worker's exit status (when the service is its parent) it
  is the whole story.
- **kubernetes runner**: the pod's termination message, which the kubelet copies from the
  container's ``/dev/termination-log`` into the pod's status, read through the Kubernetes
  API. Users cannot write pod status, and the service needs no view of their volumes.

Both carry one line of compact JSON, the **outcome document** (``"outcome": 1`` is the format
version)::

    {"outcome": 1, "state": "completed", "error": null, "files": 2, "bytes": 5123,
     "results": [["stars.fits", 5000], ["summary.json", 123]], "summary": {"rows": 10}}

``state`` is ``completed``, ``error`` or ``aborted``; ``files`` and ``bytes`` count every
result file; ``results`` lists ``[name, size]`` pairs by name, as many as fit. The document
is at most :data:`MAX_OUTCOME_BYTES` bytes: Kubernetes keeps 4096 bytes of a termination
message, and one write of at most 4096 bytes (the line and its newline) to a pipe is atomic.
A job with many result files (a cutout batch) lists the first ones and the totals; the owner
sees every file in ``~/jobs/<id>/``. On the FIFO the worker also writes progress lines,
``{"progress": 0.4, "message": "...", "heartbeat": <unix time>}``, the last of which the
service shows while the job runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from deslab_hub.jobs.paths import RESULT_NAME

#: Format version of the outcome document (its ``outcome`` key).
OUTCOME_VERSION = 1
#: Largest outcome document in bytes: Kubernetes' 4096-byte termination message, less the
#: newline that ends it on the FIFO (PIPE_BUF = 4096 keeps one write atomic).
MAX_OUTCOME_BYTES = 4095
#: The worker's final states.
STATES = ("completed", "error", "aborted")
#: Longest error message kept from a report.
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    """A worker's final report.

    Attributes
    ----------
    state
        ``completed``, ``error`` or ``aborted``.
    error
        Why it failed (None when it completed).
    results
        ``{"name": ..., "size": ...}`` of the listed result files, by name.
    files, bytes
        Number and total size of all result files (``files`` may exceed ``len(results)``).
    summary
        The task's summary (rows, counts, ...), or ``{}``.
    """

    state: str
    error: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def complete_listing(self) -> bool:
        """Whether ``results`` names every result file."""
        return self.files <= len(self.results)


@dataclass(frozen=True)
class Progress:
    """A worker's progress line."""

    progress: float
    message: str
    heartbeat: float


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse_outcome(data: Any) -> Outcome | None:
    """An :class:`Outcome` from a decoded outcome document; None if it is not one.

    Invalid result entries (bad names, sizes) are dropped, never trusted as paths.
    """
    if not isinstance(data, dict) or data.get("outcome") != OUTCOME_VERSION:
        return None
    state = data.get("state")
    if state not in STATES:
        return None
    error = data.get("error")
    error = str(error)[:MAX_ERROR_CHARS] if error else None
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in data.get("results") or []:
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        name, size = entry
        if (not isinstance(name, str) or not RESULT_NAME.fullmatch(name) or ".." in name
                or name in seen or _count(size) is None):
            continue
        seen.add(name)
        results.append({"name": name, "size": size})
    results.sort(key=lambda r: r["name"])
    files = _count(data.get("files"))
    total = _count(data.get("bytes"))
    summary = data.get("summary")
    return Outcome(
        state=state,
        error=error if state != "completed" else None,
        results=results,
        files=max(files if files is not None else 0, len(results)),
        bytes=total if total is not None else sum(r["size"] for r in results),
        summary=summary if isinstance(summary, dict) else {},
    )


def parse_message(text: str | bytes | None) -> Outcome | None:
    """The outcome in a termination message (or one FIFO line); None if there is none."""
    if not text:
        return None
    try:
        return parse_outcome(json.loads(text))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def parse_line(line: bytes) -> Outcome | Progress | None:
    """One line the worker wrote to its FIFO: an outcome, a progress report, or None."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if "outcome" in data:
        return parse_outcome(data)
    try:
        progress = float(data.get("progress") or 0.0)
        heartbeat = float(data.get("heartbeat") or 0.0)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(progress):
        progress = 0.0
    if not math.isfinite(heartbeat):
        heartbeat = 0.0
    return Progress(min(1.0, max(0.0, progress)), str(data.get("message") or "")[:500],
                    heartbeat)

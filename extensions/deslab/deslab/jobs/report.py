"""How a job worker tells the job service what happened (progress and the final outcome).

The job service must not learn a job's outcome from files a user can write, so the worker
reports through channels only it holds (the format and the reasons are described with the
service's reader, ``deslab_hub.jobs.outcome``):

- ``report_fd``: the write end of a FIFO the local runner opened in its private state
  directory. Progress lines while the job runs, then the outcome line. If the service is
  down (no reader: ``EPIPE``) the outcome is kept and written again until a restarted
  service reads it, for at most ``wait`` seconds.
- ``outcome_file``: ``/dev/termination-log`` in a Kubernetes pod; the kubelet puts its first
  4096 bytes into the pod's status, where the service reads it through the API.

:func:`encode_outcome` makes the outcome document fit :data:`MAX_OUTCOME_BYTES`: the totals
always, the summary if it is small, then as many ``[name, size]`` result entries as fit.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

OUTCOME_VERSION = 1
#: Kubernetes keeps 4096 bytes of a termination message; a FIFO write of at most
#: PIPE_BUF = 4096 bytes (the line and its newline) is atomic.
MAX_OUTCOME_BYTES = 4095
#: A summary larger than this is replaced by a note so that result names fit.
MAX_SUMMARY_BYTES = 1024
MAX_ERROR_CHARS = 1000
PR_SET_DUMPABLE = 4


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, default=str)


def list_output(output_dir: Path) -> list[tuple[str, int]]:
    """``(name, size)`` of the regular, visible files directly in ``output_dir``, by name."""
    found: list[tuple[str, int]] = []
    try:
        entries = list(os.scandir(output_dir))
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                found.append((entry.name, entry.stat(follow_symlinks=False).st_size))
        except OSError:
            continue
    return sorted(found)


def encode_outcome(state: str, *, error: str | None = None,
                   results: list[tuple[str, int]] | None = None,
                   summary: dict[str, Any] | None = None,
                   limit: int = MAX_OUTCOME_BYTES) -> str:
    """The outcome document as one line of JSON of at most ``limit`` bytes.

    Examples
    --------
    >>> encode_outcome("completed", results=[("a.csv", 10)], summary={"rows": 1})
    '{"outcome":1,"state":"completed","error":null,"files":1,"bytes":10,"summary":{"rows":1},"results":[["a.csv",10]]}'
    >>> line = encode_outcome("completed", results=[(f"{i:05d}.fits", 1) for i in range(9999)])
    >>> len(line) <= MAX_OUTCOME_BYTES, json.loads(line)["files"], len(json.loads(line)["results"])
    (True, 9999, 235)
    """
    results = sorted(results or [])
    doc: dict[str, Any] = {
        "outcome": OUTCOME_VERSION,
        "state": state,
        "error": (str(error)[:MAX_ERROR_CHARS] if error else None),
        "files": len(results),
        "bytes": sum(size for _name, size in results),
        "summary": summary or {},
        "results": [],
    }
    if len(_dump(doc["summary"]).encode()) > MAX_SUMMARY_BYTES:
        doc["summary"] = {"note": "the summary was too large to report; see the job's files"}
    while doc["error"] and len(_dump(doc).encode()) > limit - 64:  # many multi-byte chars
        doc["error"] = doc["error"][:len(doc["error"]) * 3 // 4]
    doc["results"] = [[name, size] for name, size in results]
    if len(_dump(doc).encode()) <= limit:
        return _dump(doc)
    low, high = 0, len(results)  # the most entries that fit: binary search
    while low < high:
        mid = (low + high + 1) // 2
        doc["results"] = [[name, size] for name, size in results[:mid]]
        if len(_dump(doc).encode()) <= limit:
            low = mid
        else:
            high = mid - 1
    doc["results"] = [[name, size] for name, size in results[:low]]
    return _dump(doc)


def make_undumpable() -> None:
    """Keep other processes of the same user out of this one (``/proc/<pid>/fd``, ptrace).

    The report descriptor is what makes a report genuine; a non-dumpable process's
    ``/proc`` entries belong to root, so the user's kernel cannot reopen it.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to protect this way
        pass


class Reporter:
    """The worker's side of the report channels (thread-safe).

    Parameters
    ----------
    report_fd
        Write end of the local runner's FIFO (None in a pod).
    outcome_file
        Where the outcome goes in a pod (``/dev/termination-log``).
    wait
        Seconds to keep offering the outcome while the service is down.
    """

    def __init__(self, report_fd: int | None = None, outcome_file: Path | None = None,
                 wait: float = 600.0) -> None:
        self.fd = report_fd
        self.outcome_file = outcome_file
        self.wait = wait
        self.lock = threading.Lock()
        if self.fd is not None:
            os.set_blocking(self.fd, False)

    def _write_line(self, line: str) -> bool:
        """Write one line to the FIFO at once; False if nobody reads it or it is full."""
        if self.fd is None:
            return True
        data = (line + "\n").encode()
        try:
            return os.write(self.fd, data) == len(data)
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EAGAIN):
                print(f"deslab worker: cannot report: {exc}", file=sys.stderr)
            return False

    def progress(self, fraction: float, message: str) -> None:
        """Report progress (dropped if the service is not reading just now)."""
        with self.lock:
            self._write_line(_dump({"progress": fraction, "message": message[:500],
                                    "heartbeat": time.time()}))

    def finish(self, state: str, *, error: str | None = None,
               output_dir: Path | None = None, summary: dict[str, Any] | None = None) -> None:
        """Report the outcome on every channel (and keep trying the FIFO for ``wait`` s)."""
        results = list_output(output_dir) if output_dir is not None and state == "completed" \
            else []
        line = encode_outcome(state, error=error, results=results, summary=summary)
        with self.lock:
            if self.outcome_file is not None:
                try:
                    self.outcome_file.write_text(line, encoding="utf-8")
                except OSError as exc:
                    print(f"deslab worker: cannot write {self.outcome_file}: {exc}",
                          file=sys.stderr)
            deadline = time.monotonic() + self.wait
            while not self._write_line(line):
                if time.monotonic() > deadline:
                    print("deslab worker: the job service did not read the outcome",
                          file=sys.stderr)
                    return
                time.sleep(0.5)

"""Job tasks: one module per job type, and the cancellation they share.

Adding a job type takes one module here, ``deslab/jobs/tasks/<type>.py``, defining::

    def run(params: dict, output_dir: Path, progress: Callable[[float, str], None]) -> dict

plus one entry (the parameter validator) in ``deslab_hub/jobs/types.py`` on the hub side.
``run`` writes its result files into ``output_dir`` and returns a JSON-able summary that
is recorded on the job. ``progress(fraction, message)`` reports how far it got; it raises
:class:`JobCancelled` once the job has been cancelled, so loops stop at the next report.
Code that blocks in C (a database statement) registers an interrupt with
:func:`on_cancel`.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

TASK_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

_cancelled = threading.Event()
_hooks: list[Callable[[], None]] = []
_hooks_lock = threading.Lock()


class JobCancelled(KeyboardInterrupt):
    """The job was cancelled; raised inside the task so it stops and cleans up."""


def load(job_type: str) -> ModuleType:
    """The task module for ``job_type`` (``deslab.jobs.tasks.<type>``).

    Raises
    ------
    ValueError
        If no such task exists.
    """
    if not TASK_TYPE.fullmatch(job_type or ""):
        raise ValueError(f"invalid job type {job_type[:40]!r}")
    try:
        module = importlib.import_module(f"{__name__}.{job_type}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{job_type}":
            raise
        raise ValueError(
            f"this worker has no task for job type {job_type!r}; "
            "its deslab version may be older than the job service's"
        ) from None
    if not callable(getattr(module, "run", None)):
        raise ValueError(f"the task module for {job_type!r} defines no run()")
    return module


def cancelled() -> bool:
    """Whether the running job has been cancelled."""
    return _cancelled.is_set()


def check_cancelled() -> None:
    """Raise :class:`JobCancelled` if the job has been cancelled."""
    if _cancelled.is_set():
        raise JobCancelled("the job was cancelled")


@contextmanager
def on_cancel(hook: Callable[[], None]) -> Iterator[None]:
    """Call ``hook`` (from another thread) if the job is cancelled inside the block.

    Use it for work that blocks outside Python, e.g. ``with on_cancel(backend.interrupt):``.
    """
    with _hooks_lock:
        _hooks.append(hook)
    try:
        if _cancelled.is_set():
            hook()
        yield
    finally:
        with _hooks_lock:
            if hook in _hooks:
                _hooks.remove(hook)


def request_cancel() -> None:
    """Mark the job cancelled and run the registered interrupt hooks (worker side)."""
    _cancelled.set()
    with _hooks_lock:
        hooks = list(_hooks)
    for hook in hooks:
        try:
            hook()
        except Exception:  # an interrupt that fails must not stop the others
            pass


def reset() -> None:
    """Forget a previous cancellation (tests run several tasks in one process)."""
    _cancelled.clear()
    with _hooks_lock:
        _hooks.clear()

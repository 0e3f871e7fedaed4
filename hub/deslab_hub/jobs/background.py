"""Repeating background rounds (scheduler, sweeper): run, log failures, pause, stop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def repeat(step: Callable[[], Awaitable[Any]], pause: Callable[[], Awaitable[Any]],
                 log: Any, what: str) -> None:
    """Run ``step`` then ``pause`` forever; a failing round is logged and the next one runs.

    Parameters
    ----------
    step : callable
        Coroutine function doing one round.
    pause : callable
        Coroutine function waiting until the next round.
    log : logging.Logger
        Where a failed round's traceback goes.
    what : str
        Name of the round in the log message (``"<what> failed"``).
    """
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", what)
        await pause()


async def stop_task(task: asyncio.Task | None) -> None:
    """Cancel ``task`` (if any) and wait until it has ended."""
    if task:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

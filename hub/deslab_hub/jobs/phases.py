"""The IVOA UWS execution phases and the transitions the service allows."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """UWS phases (``HELD``, ``SUSPENDED`` and ``ARCHIVED`` are not used by DESlab)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_PHASES

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_PHASES


ACTIVE_PHASES = frozenset({Phase.PENDING, Phase.QUEUED, Phase.EXECUTING})
FINAL_PHASES = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED})

# phase -> phases it may move to
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.PENDING: frozenset({Phase.QUEUED, Phase.ABORTED, Phase.ERROR}),
    Phase.QUEUED: frozenset({Phase.EXECUTING, Phase.ABORTED, Phase.ERROR}),
    Phase.EXECUTING: frozenset(
        {Phase.COMPLETED, Phase.ERROR, Phase.ABORTED, Phase.QUEUED}  # QUEUED: re-run
    ),
    Phase.COMPLETED: frozenset(),
    Phase.ERROR: frozenset(),
    Phase.ABORTED: frozenset(),
}


def can_move(old: Phase | str, new: Phase | str) -> bool:
    """Whether a job in phase ``old`` may move to ``new``."""
    return Phase(new) in TRANSITIONS[Phase(old)]

"""Events users can subscribe to: a job ended, or its results expire soon.

Events are rows in the store (so a client that reconnects after a restart resumes with
``since=<last id>``) and wake the long-poll and server-sent-event handlers of this process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from deslab_hub.jobs.models import EventRecord
from deslab_hub.jobs.store import Store

# kinds of event
PHASE = "phase"  # the job reached a final phase (COMPLETED, ERROR, ABORTED)
EXPIRING = "expiring"  # the destruction time is near
EXPIRED = "expired"  # the job and its results were removed


class EventHub:
    """Publish events and let handlers wait for new ones."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._changed = asyncio.Event()

    def publish(self, owner: str, job_id: str, kind: str, *, phase: str | None = None,
                message: str = "") -> EventRecord:
        ev = self.store.add_event(owner, job_id, kind, phase=phase, message=message)
        self._changed.set()
        self._changed = asyncio.Event()
        return ev

    async def wait(self, timeout: float) -> None:
        """Return when an event is published or after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass


def event_model(ev: EventRecord) -> dict[str, Any]:
    return {
        "id": ev.id,
        "job_id": ev.job_id,
        "owner": ev.owner,
        "kind": ev.kind,
        "phase": ev.phase,
        "message": ev.message,
        "created": ev.created.isoformat().replace("+00:00", "Z"),
    }

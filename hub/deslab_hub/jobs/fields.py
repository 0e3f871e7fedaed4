"""The fields every job has, checked once: name, execution duration, lifetime, e-mail and
destruction time (for creation and for PATCH). Beside the job types (:mod:`.types`), and like
them free of HTTP: a bad value raises :class:`~deslab_hub.jobs.types.ParamError` (answered
400), with the limits from the service's settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from deslab_hub.jobs.contract import COMMON
from deslab_hub.jobs.settings import JobServiceSettings
from deslab_hub.jobs.types import JobType, ParamError

MAX_NAME: int = COMMON["name_max_chars"]
PATCH_FIELDS: tuple[str, ...] = tuple(COMMON["patch_fields"])
MIN_DURATION: int = COMMON["execution_duration_min_seconds"]


@dataclass(frozen=True)
class NewJobFields:
    """The common fields of a job being created, checked, with the defaults filled in."""

    name: str
    execution_duration: int
    destruction: datetime
    email: bool


def iso(dt: datetime | None) -> str | None:
    """``dt`` as ISO 8601 in UTC with a ``Z``."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def _name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME or "\x00" in value:
        raise ParamError(f"'name' must be a string of at most {MAX_NAME} characters")
    return value


def _lifetime_days(value: Any, s: JobServiceSettings, hint: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
        math.isfinite(value) and 0 < value <= s.max_lifetime_days
    ):
        raise ParamError(f"'lifetime_days' must be a number of days above 0 and at most "
                         f"{s.max_lifetime_days:g}{hint}")
    return float(value)


def new_job_fields(body: Mapping[str, Any], jtype: JobType, params: Mapping[str, Any],
                   s: JobServiceSettings, now: datetime) -> NewJobFields:
    """The common fields of a creation request, or :class:`ParamError` naming the bad one."""
    name = body.get("name")
    name = jtype.default_name(params)[:MAX_NAME] if name is None or name == "" else _name(name)
    duration = body.get("execution_duration", s.default_execution_duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or not (
        MIN_DURATION <= duration <= s.max_execution_duration
    ):
        raise ParamError(f"'execution_duration' must be whole seconds from {MIN_DURATION} to "
                         f"{s.max_execution_duration}")
    lifetime = _lifetime_days(body.get("lifetime_days", s.default_lifetime_days), s)
    email = body.get("email", s.email_by_default)
    if not isinstance(email, bool):
        raise ParamError("'email' must be true or false")
    if "destruction" in body:
        raise ParamError("give 'lifetime_days' when creating a job; 'destruction' can be "
                         "changed afterwards with PATCH")
    return NewJobFields(name, duration, now + timedelta(days=lifetime), email)


def patch_fields(body: Mapping[str, Any], s: JobServiceSettings,
                 now: datetime) -> dict[str, Any]:
    """The job record's fields a PATCH body changes, or :class:`ParamError`."""
    unknown = sorted(set(body) - set(PATCH_FIELDS))
    if unknown:
        raise ParamError(f"cannot change {unknown[0][:40]!r}; fields that can be "
                         f"changed: {', '.join(PATCH_FIELDS)}")
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = _name(body["name"])
    latest = now + timedelta(days=s.max_lifetime_days)
    when: datetime | None = None
    if "destruction" in body:
        try:
            when = datetime.fromisoformat(str(body["destruction"]).replace("Z", "+00:00"))
        except ValueError:
            raise ParamError("'destruction' must be an ISO 8601 time such as "
                             "2030-01-31T12:00:00Z") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if "lifetime_days" in body:
        days = _lifetime_days(body["lifetime_days"], s, " (max_lifetime_days)")
        when = now + timedelta(days=days)
    if when is not None:
        if when <= now:
            raise ParamError("the destruction time must be in the future; to remove a job "
                             "now, DELETE it")
        if when > latest + timedelta(seconds=60):
            raise ParamError(f"the destruction time can be at most {s.max_lifetime_days:g} "
                             f"days from now ({iso(latest)}; max_lifetime_days)")
        fields["destruction"] = min(when, latest)
        fields["expiry_warned"] = False
    return fields

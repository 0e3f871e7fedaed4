"""Job identifiers: random uuid4 hex strings, validated before they reach SQL or a path."""

from __future__ import annotations

import re
import uuid

JOB_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_job_id() -> str:
    """A fresh job id: 32 lowercase hex digits (a uuid4)."""
    return uuid.uuid4().hex


def is_valid_job_id(value: object) -> bool:
    """Whether ``value`` has the shape of a job id (nothing else is ever looked up)."""
    return isinstance(value, str) and JOB_ID_PATTERN.fullmatch(value) is not None

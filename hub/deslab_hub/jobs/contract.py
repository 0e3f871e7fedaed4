"""The job-request contract (``contract.json`` beside ``openapi.yaml``), read once.

The facts the service, the worker, the client and the panel share: job types, query
formats with their extensions, aliases and compressions, cutout bands and caps, name rules.
``deslab`` (which never imports this package) carries a byte-identical copy,
``deslab/data/job-contract.json``; ``tests/jobs/test_contract.py`` checks the copy, the
OpenAPI description, deslab's writers and cutouts and the panel's constants against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("contract.json")
CONTRACT: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))

COMMON: dict[str, Any] = CONTRACT["common"]
QUERY: dict[str, Any] = CONTRACT["query"]
CUTOUT: dict[str, Any] = CONTRACT["cutout"]
JOB_TYPE_DESCRIPTIONS: dict[str, str] = CONTRACT["job_types"]


def query_extensions() -> list[tuple[str, str]]:
    """``(extension, format)`` of every query result extension, longest first."""
    pairs = [(ext, fmt) for fmt, spec in QUERY["formats"].items() for ext in spec["extensions"]]
    return sorted(pairs, key=lambda p: -len(p[0]))

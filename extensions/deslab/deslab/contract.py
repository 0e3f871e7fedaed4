"""The job-request contract as the user side reads it (``deslab/data/job-contract.json``).

The job service declares the contract in ``deslab_hub/jobs/contract.json``; ``deslab`` never
imports the hub side, so it carries a byte-identical copy in its own package data (a test
fails when the two differ). The cutout bands and caps are read from here; the catalog
writers declare their own extensions and are tested against it.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

CONTRACT: dict[str, Any] = json.loads(
    files("deslab").joinpath("data", "job-contract.json").read_text(encoding="utf-8")
)
QUERY: dict[str, Any] = CONTRACT["query"]
CUTOUT: dict[str, Any] = CONTRACT["cutout"]

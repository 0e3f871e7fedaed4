"""The OpenAPI description is valid and documents every route the service serves."""

from __future__ import annotations

import re
from pathlib import Path

import deslab_hub.jobs.handlers as handlers
import yaml
from openapi_spec_validator import validate

SPEC = Path(handlers.__file__).with_name("openapi.yaml")


def test_openapi_document_is_valid_and_complete() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    validate(spec)
    documented = set(spec["paths"])

    class S:
        base_url = "/services/jobs/"

    served = set()
    for pattern, handler, _kw in handlers.routes(handlers.Context(S(), *[None] * 6)):
        if handler is handlers.NotFoundHandler:
            continue
        path = pattern.removeprefix("/services/jobs/api").rstrip("?").rstrip("/")
        path = path.replace("([^/]+)", "{id}", 1).replace("([^/]+)", "{name}", 1)
        served.add(path)
    assert served == documented
    for path, item in spec["paths"].items():
        for method in item:
            if method == "parameters":
                continue
            handler = next(h for p, h, _ in handlers.routes(handlers.Context(S(), *[None] * 6))
                           if re.fullmatch(p.replace("([^/]+)", "[^/]+"),
                                           "/services/jobs/api" + path.replace("{id}", "x")
                                           .replace("{name}", "y")))
            assert hasattr(handler, method), (path, method)

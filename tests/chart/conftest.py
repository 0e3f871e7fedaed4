"""Fixtures of the chart tests (helpers in chart_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart_helpers import CASES, manifests


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Manifests of every case of the matrix, rendered once per session."""
    return {name: manifests(values) for name, values in CASES.items()}

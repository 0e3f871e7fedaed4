"""No module of deslab or deslab_hub imports back into a module that imports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports import cycles, import_graph

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["extensions/deslab/deslab", "hub/deslab_hub"])
def test_no_import_cycles(package: str) -> None:
    assert cycles(import_graph(ROOT / package)) == []

"""The first-steps tutorial runs top to bottom against the demo survey in under 60 s."""

from __future__ import annotations

import time
from pathlib import Path

import deslab
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(deslab.__file__).parent / "tutorials" / "01-first-steps.ipynb"


@pytest.mark.slow
def test_first_steps_notebook_runs(demo_env, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    client.execute()
    assert time.perf_counter() - started < 60
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert (tmp_path / "results" / "bright.fits").exists()
    text = "".join(str(o.get("text", "")) + str(o.get("data", {})) for o in outputs)
    assert "read-only" in text and "rows" in text

"""The cutouts tutorial runs top to bottom against the demo survey in under 60 s."""

from __future__ import annotations

import time
from pathlib import Path

import deslab
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(deslab.__file__).parent / "tutorials" / "03-cutouts.ipynb"


@pytest.mark.slow
def test_cutouts_notebook_runs(demo_env, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    client.execute()
    assert time.perf_counter() - started < 60
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert html.count("data:image/png;base64,") >= 8  # the gallery
    assert len(list((tmp_path / "cutouts").glob("*_gri.png"))) >= 8
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "is not in the catalog" in text and "image/png" in str(outputs)

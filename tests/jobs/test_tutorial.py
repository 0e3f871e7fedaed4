"""The jobs tutorial runs top to bottom in under 60 s against the real job service."""

from __future__ import annotations

import os
import time
from pathlib import Path

import deslab
import nbformat
import pytest
from jobs_helpers import Hub
from nbclient import NotebookClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TUTORIAL = Path(deslab.__file__).parent / "tutorials" / "02-jobs.ipynb"


def test_jobs_tutorial_runs_in_under_a_minute(hub: Hub, monkeypatch) -> None:
    home = hub.root / "data" / "users" / "tutor"
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DESLAB_JOBS_URL", f"{hub.url}/services/jobs/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.user("tutor"))
    monkeypatch.setenv("DESLAB_HOME", str(home))
    monkeypatch.setenv("DESLAB_CATALOG", f"duckdb:///{hub.catalog}")
    nb = nbformat.read(TUTORIAL, as_version=4)
    t0 = time.monotonic()
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(home)}}).execute(
                       env=dict(os.environ))
    elapsed = time.monotonic() - t0
    assert elapsed < 60, elapsed
    outputs = "".join(str(o.get("text", "")) + str(o.get("data", {}))
                      for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "COMPLETED" in outputs and "ABORTED" in outputs and "stars" in outputs

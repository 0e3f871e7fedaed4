"""Execute a tutorial notebook top to bottom, as the tutorial tests do."""

from __future__ import annotations

import time
from pathlib import Path

import deslab
import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

TUTORIALS = Path(deslab.__file__).parent / "tutorials"


def run_tutorial(name: str, workdir: Path, *, timeout: int = 60) -> tuple[NotebookNode, float]:
    """Execute ``tutorials/<name>`` with the python3 kernel in ``workdir``.

    The caller provides the demo survey environment (the ``demo_env`` fixture).

    Parameters
    ----------
    name : str
        File name of the notebook in ``deslab/tutorials``.
    workdir : Path
        Working directory of the kernel; the notebook's files land here.
    timeout : int
        Per-cell timeout in seconds.

    Returns
    -------
    tuple of (NotebookNode, float)
        The executed notebook (with outputs) and the wall time in seconds.
    """
    nb = nbformat.read(TUTORIALS / name, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def code_outputs(nb: NotebookNode) -> list[dict]:
    """Return all outputs of the code cells of ``nb``, in order."""
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]

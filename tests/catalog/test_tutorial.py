"""The first-steps tutorial runs top to bottom against the demo survey in under 60 s."""

from __future__ import annotations

import pytest

from tests.tutorials import code_outputs, run_tutorial


@pytest.mark.slow
def test_first_steps_notebook_runs(demo_env, tmp_path):
    nb, elapsed = run_tutorial("01-first-steps.ipynb", tmp_path)
    assert elapsed < 60
    outputs = code_outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert (tmp_path / "results" / "bright.fits").exists()
    text = "".join(str(o.get("text", "")) + str(o.get("data", {})) for o in outputs)
    assert "read-only" in text and "rows" in text
    assert "1000 rows on tiles" in text  # a DES example query on the demo survey

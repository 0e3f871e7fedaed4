"""The cutouts tutorial runs top to bottom against the demo survey in under 60 s."""

from __future__ import annotations

import pytest

from tests.tutorials import code_outputs, run_tutorial


@pytest.mark.slow
def test_cutouts_notebook_runs(demo_env, tmp_path):
    nb, elapsed = run_tutorial("03-cutouts.ipynb", tmp_path)
    assert elapsed < 60
    outputs = code_outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert html.count("data:image/png;base64,") >= 8  # the gallery
    assert len(list((tmp_path / "cutouts").glob("*_gri.png"))) >= 8
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "is not in the catalog" in text and "image/png" in str(outputs)

"""The anomaly tutorial runs top to bottom on the demo survey (planted anomalies on top)."""

from __future__ import annotations

import re

import pytest

from tests.tutorials import code_outputs, run_tutorial


@pytest.mark.slow
def test_anomaly_tutorial_runs_and_recovers_the_planted_anomalies(demo_env, tmp_path) -> None:
    nb, elapsed = run_tutorial("04-anomaly.ipynb", tmp_path, timeout=120)
    outputs = code_outputs(nb)
    text = "\n".join(out.get("text", "") for out in outputs
                     if out.get("output_type") == "stream")
    found = re.search(r"(\d+) of the (\d+) planted anomalies are among the top (\d+)", text)
    assert found and found[1] == found[2] == found[3] and int(found[1]) > 0, text
    assert "same scores as score_catalog: True" in text
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 2
    assert elapsed < 120  # the platform budget is 60 s; leave room for a loaded test machine

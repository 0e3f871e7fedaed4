"""Run the lab extension's vitest unit tests (tests/frontend/*.test.ts) from pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXT = HERE.parents[1] / "extensions" / "deslab"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_vitest_unit_tests_pass():
    vitest = EXT / "node_modules" / ".bin" / "vitest"
    assert vitest.exists(), "the extension's npm packages are missing: run `make setup`"
    assert shutil.which("node"), "Node.js is missing: run `make setup`"
    proc = subprocess.run(
        [str(vitest), "run", "--config", str(HERE / "vitest.config.mjs"), "--reporter=dot"],
        cwd=EXT, capture_output=True, text=True, timeout=170,
        env={"PATH": f"{Path(shutil.which('node')).parent}:/usr/bin:/bin", "CI": "1",
             "HOME": str(Path.home()), "NO_COLOR": "1"},
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert " passed" in out and "failed" not in out.split("Test Files")[-1], out[-3000:]

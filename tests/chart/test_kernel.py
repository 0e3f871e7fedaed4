"""The DES Python kernel (kernels/deslab), as `make setup` installs it into the venv."""

from __future__ import annotations

import json
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[2]


def test_kernelspec_in_the_repository() -> None:
    spec = json.loads((ROOT / "kernels" / "deslab" / "kernel.json").read_text())
    assert spec["display_name"] == "DES Python"
    assert spec["language"] == "python"
    assert "{connection_file}" in spec["argv"]
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        assert (ROOT / "kernels" / "deslab" / logo).stat().st_size > 100


def test_des_kernel_starts_with_the_magics_loaded() -> None:
    specs = KernelSpecManager().find_kernel_specs()
    assert "deslab" in specs, "run `make setup`: it installs kernels/*/ into the venv"
    km, kc = start_new_kernel(kernel_name="deslab", startup_timeout=60)
    try:
        outputs: list[dict] = []
        reply = kc.execute_interactive(
            "ip = get_ipython()\n"
            "print('desql' in ip.magics_manager.magics['cell'],"
            " 'deslab' in ip.extension_manager.loaded)",
            timeout=60,
            output_hook=outputs.append,
        )
        assert reply["content"]["status"] == "ok"
        text = "".join(m["content"].get("text", "") for m in outputs
                       if m["msg_type"] == "stream")
        assert text.split() == ["True", "True"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

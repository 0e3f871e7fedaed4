"""The images, built for real with podman and checked inside with buildah.

The Debian base is made offline from Debian packages (``debootstrap`` + ``podman import``,
no registry) and kept in podman's storage as ``localhost/deslab-base:bookworm``: when it is
there already it is reused (a cache; the image build and the checks always run). The build
runs ``scripts/build-images.sh`` (what ``make images`` runs) with podman in chroot isolation;
pip inside reaches PyPI trusting the host's CA bundle, mounted into the build. Unchanged
layers (the pinned requirements) come from podman's layer cache. The hub image must load
the configuration the chart renders, with the chart's values and Secret mounted where the
hub pod has them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import deslab
import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/deslab-base:bookworm"
IMAGE = "localhost/deslab-test-notebook:test"
HUB_IMAGE = "localhost/deslab-test-hub:test"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_CACHE = Path.home() / ".cache" / "deslab" / "debootstrap"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def run(*cmd: str, timeout: float = 1200, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


def ensure_base_image() -> None:
    """The offline-made Debian base, built once and then found in podman's storage."""
    if subprocess.run(["podman", "image", "exists", BASE]).returncode == 0:
        return
    DEBOOTSTRAP_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deslab-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run("debootstrap", "--variant=minbase",
            "--include=python3,python3-venv,ca-certificates",
            f"--cache-dir={DEBOOTSTRAP_CACHE}", "bookworm", str(rootfs), DEBIAN_MIRROR,
            timeout=1200)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run("podman", "import", "--change", 'CMD ["/bin/bash"]', "-", BASE, stdin=tar.stdout)
        tar.wait()


def build(image: str) -> None:
    """``scripts/build-images.sh image`` with podman, on the offline base."""
    for tool in ("podman", "buildah", "debootstrap"):
        assert shutil.which(tool), f"{tool} is missing: run `make setup` (it installs it)"
    t0 = time.monotonic()
    ensure_base_image()
    tag = f"localhost/deslab-test-{image}:test"
    previous = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", tag],
                              capture_output=True, text=True).stdout.strip()
    env = {**os.environ, "ENGINE": "podman", "IMAGE_PREFIX": "localhost/deslab-test-",
           "TAG": "test", "BASE": BASE, "PIP_CERT_FILE": CA_BUNDLE,
           "BUILD_ARGS": "--isolation=chroot --network=host"}
    run("bash", str(ROOT / "scripts" / "build-images.sh"), image, env=env, timeout=1500)
    print(f"{image} image ready in {time.monotonic() - t0:.0f} s")
    # the image this build replaced (its cached layers stay, as parents of the new one)
    if previous:
        subprocess.run(["podman", "rmi", previous], capture_output=True)


@pytest.fixture(scope="module")
def notebook_image() -> str:
    build("notebook")
    return IMAGE


@pytest.fixture(scope="module")
def container(notebook_image: str):
    ctr = run("buildah", "from", "--pull-never", notebook_image).stdout.strip()
    yield ctr
    subprocess.run(["buildah", "rm", ctr], capture_output=True)


def inside(ctr: str, *cmd: str) -> str:
    return run("buildah", "run", "--isolation", "chroot", ctr, "--", *cmd, timeout=300).stdout


def test_deslab_imports_inside_the_image(container: str) -> None:
    out = inside(container, "python", "-c",
                 "import deslab, deslab.catalog, sys; print(deslab.__version__, sys.prefix)")
    version, prefix = out.split()
    assert version == deslab.__version__  # the wheel built from this tree
    assert prefix == "/opt/deslab/venv"


def test_des_kernel_is_listed_and_loads_the_magics(container: str) -> None:
    specs = json.loads(inside(container, "jupyter", "kernelspec", "list", "--json"))
    kernel = specs["kernelspecs"]["deslab"]
    assert kernel["spec"]["display_name"] == "DES Python"
    assert "--IPKernelApp.extensions=deslab" in kernel["spec"]["argv"]
    out = inside(container, "python", "-c",
                 "from IPython.core.interactiveshell import InteractiveShell as S; "
                 "ip = S.instance(); ip.run_line_magic('load_ext', 'deslab'); "
                 "print(ip.find_cell_magic('desql') is not None)")
    assert out.strip().endswith("True")


def test_image_runs_as_jovyan_with_the_lab_extension(container: str) -> None:
    assert inside(container, "id", "-u").strip() == "1000"
    assert inside(container, "sh", "-c", "echo $HOME").strip() == "/home/jovyan"
    labext = inside(container, "sh", "-c", "jupyter labextension list 2>&1")
    plain = labext.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert f"deslab v{deslab.__version__} enabled" in plain
    server = inside(container, "sh", "-c", "jupyter server extension list 2>&1")
    assert "deslab enabled" in server.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert inside(container, "sh", "-c", "command -v jupyterhub-singleuser").strip()
    # the tutorials the spawner's postStart hook copies into new homes
    assert inside(container, "sh", "-c", "test -d /opt/deslab/tutorials && echo ok").strip() \
        == "ok"


def test_hub_image_loads_the_chart_config(tmp_path: Path) -> None:
    from tests.chart.chart_helpers import CASES, NOTEBOOK_IMAGE, find, manifests, secret_values

    build("hub")
    docs = manifests(CASES["everything"])
    (tmp_path / "values.yaml").write_text(
        find(docs, "ConfigMap", "-hub-config")["data"]["values.yaml"])
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in secret_values(find(docs, "Secret", "-hub-secret")).items():
        (secrets / key).write_text(value)
    ctr = run("buildah", "from", "--pull-never", HUB_IMAGE).stdout.strip()
    try:
        run("buildah", "copy", ctr, str(tmp_path), "/usr/local/etc/deslab/")
        out = inside(
            ctr, "env", "DESLAB_VALUES_FILE=/usr/local/etc/deslab/values.yaml",
            "DESLAB_SECRETS_DIR=/usr/local/etc/deslab/secrets", "python", "-c",
            "from jupyterhub.app import JupyterHub; app = JupyterHub(); "
            "app.load_config_file('/usr/local/etc/jupyterhub/jupyterhub_config.py'); "
            "print(app.spawner_class.__name__, app.authenticator_class.__name__, "
            "sorted(s['name'] for s in app.services), app.config.KubeSpawner.image)")
        assert out.split() == ["KubeSpawner", "GenericOAuthenticator", "['idle-culler',",
                               "'jobs']", NOTEBOOK_IMAGE]
        assert inside(ctr, "id", "-u").strip() == "1000"
        inside(ctr, "python", "-m", "jupyterhub_idle_culler", "--help")
        inside(ctr, "python", "-c", "import deslab_hub.jobs.app, kubernetes_asyncio")
    finally:
        subprocess.run(["buildah", "rm", ctr], capture_output=True)

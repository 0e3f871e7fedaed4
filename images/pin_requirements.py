"""Write ``images/*/requirements.txt``: the images' packages pinned to the versions in ``.venv``.

The images install exactly what the tests ran against. For each image, the dependency closure
of its top-level requirements (the runtime dependencies of ``hub/`` or ``extensions/deslab/``
plus the servers they run in) is read from the installed distributions' metadata and written
as ``name==version`` lines. Run with the venv's Python after changing a dependency::

    .venv/bin/python images/pin_requirements.py
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

# Our own distributions are installed from source in the images, not pinned.
OWN = {"deslab", "deslab-hub"}

# Extra top-level requirements per image (besides the distribution's own dependencies).
IMAGES = {
    "hub": ("hub/pyproject.toml", ["jupyterhub", "jupyterhub-kubespawner",
                                   "oauthenticator", "jupyterhub-idle-culler"]),
    "notebook": ("extensions/deslab/pyproject.toml", ["jupyterhub", "jupyterlab", "ipykernel"]),
}


def closure(roots: list[str]) -> dict[str, str]:
    """Installed name -> version for ``roots`` and everything they require (markers applied)."""
    env = default_environment()
    pinned: dict[str, str] = {}
    todo = [Requirement(r) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if key in seen or name in OWN:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is not installed in {sys.prefix}: run `make setup` first")
        pinned[dist.metadata["Name"]] = dist.version
        for line in dist.requires or []:
            sub = Requirement(line)
            extras = req.extras or {""}
            if sub.marker and not any(sub.marker.evaluate({**env, "extra": e}) for e in extras):
                continue
            todo.append(sub)
    return pinned


def main() -> None:
    for image, (pyproject, extra) in IMAGES.items():
        deps = tomllib.loads((ROOT / pyproject).read_text())["project"]["dependencies"]
        pins = closure(list(deps) + extra)
        lines = [f"{name}=={version}" for name, version in
                 sorted(pins.items(), key=lambda kv: re.sub(r"[-_.]+", "-", kv[0].lower()))]
        header = (f"# Pinned from .venv by images/pin_requirements.py; the {image} image "
                  "installs exactly these.\n")
        out = ROOT / "images" / image / "requirements.txt"
        out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"{out.relative_to(ROOT)}: {len(lines)} packages")


if __name__ == "__main__":
    main()

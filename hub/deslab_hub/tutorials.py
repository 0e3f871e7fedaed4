"""Deliver the ``deslab`` tutorial notebooks into a user's ``~/tutorials/``, once each.

``python -m deslab_hub.tutorials SOURCE DEST`` does the same from a process running as the
user's own account (the local spawner runs it that way, so nothing is written into a home
with root's rights).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

TUTORIALS_MANIFEST = ".deslab-tutorials"


def copy_new_tutorials(source: Path, dest: Path) -> list[str]:
    """Copy tutorial notebooks from ``source`` that ``dest`` has never received.

    The names already delivered are kept in ``dest/.deslab-tutorials`` so that a notebook a
    user deleted or renamed is not brought back, and a user's edits are never overwritten.

    Returns
    -------
    list of str
        The names copied now.
    """
    dest.mkdir(parents=True, exist_ok=True)
    manifest = dest / TUTORIALS_MANIFEST
    delivered = set(manifest.read_text(encoding="utf-8").split()) if manifest.exists() else set()
    copied = []
    for nb in sorted(source.glob("*.ipynb")):
        if nb.name in delivered or (dest / nb.name).exists():
            delivered.add(nb.name)
            continue
        tmp = dest / f".{nb.name}.tmp"
        shutil.copyfile(nb, tmp)
        os.replace(tmp, dest / nb.name)
        delivered.add(nb.name)
        copied.append(nb.name)
    manifest.write_text("\n".join(sorted(delivered)) + "\n", encoding="utf-8")
    return copied


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m deslab_hub.tutorials SOURCE DEST", file=sys.stderr)
        return 2
    try:
        copy_new_tutorials(Path(args[0]), Path(args[1]))
    except OSError as exc:
        print(f"deslab: could not copy the tutorials into {args[1]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

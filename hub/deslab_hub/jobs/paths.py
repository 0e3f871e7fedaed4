"""Where a user's job results live, and the checks that keep every path inside them.

Results go to ``<home>/jobs/<job-id>/`` where ``<home>`` comes from the service's
``home_dir_template`` (e.g. ``{data_dir}/users/{username}``). Names of result files are
checked, resolved and required to stay inside the job's directory (symlinks included).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from deslab_hub.accounts import DEFAULT_PREFIX, account_name
from deslab_hub.jobs.ids import is_valid_job_id

# what a user name may look like when it becomes a directory name
SAFE_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$")
RESULT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$")  # "+": DES tile names


class PathError(ValueError):
    """A user name, job id or result name that would leave the owner's directory."""


def home_dir(template: str, username: str, data_dir: str,
             account_prefix: str = DEFAULT_PREFIX) -> Path:
    """The home directory of ``username`` from ``template``.

    ``{username}`` is the hub name, ``{account}`` its system account
    (:func:`deslab_hub.accounts.account_name` with ``account_prefix``), ``{safe_username}``
    KubeSpawner's slug of it (the sub-directory KubeSpawner gives the user on a shared
    claim, any name), ``{data_dir}`` the data directory.

    Raises
    ------
    PathError
        If the template uses the user name and it could not be a single directory name.
    """
    if "{username}" in template and (
        not SAFE_USERNAME.fullmatch(username) or username in (".", "..")
    ):
        raise PathError(f"user name {username[:60]!r} cannot name a home directory")
    account = account_name(username, account_prefix) if "{account}" in template else ""
    safe = ""
    if "{safe_username}" in template:
        from deslab_hub.kubehomes import template_names

        safe = template_names(username)["safe_username"]
    return Path(template.format(username=username, account=account, safe_username=safe,
                                data_dir=data_dir))


def job_dir(home: Path, job_id: str) -> Path:
    """``<home>/jobs/<job-id>`` for a valid job id."""
    if not is_valid_job_id(job_id):
        raise PathError("invalid job id")
    return home / "jobs" / job_id


def result_path(output_dir: Path, name: str) -> Path:
    """The file ``name`` inside ``output_dir``, refusing anything that leaves it.

    Raises
    ------
    PathError
        For names with separators, ``..``, hidden names, or symlinks pointing elsewhere.
    """
    if not RESULT_NAME.fullmatch(name) or ".." in name:
        raise PathError("invalid result name")
    base = output_dir.resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or path == base:
        raise PathError("invalid result name")
    return path


def list_results(output_dir: Path) -> list[dict[str, object]]:
    """The visible regular files directly in ``output_dir`` with their sizes, by name."""
    out: list[dict[str, object]] = []
    try:
        entries = sorted(os.scandir(output_dir), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    base = output_dir.resolve()
    for entry in entries:
        if entry.name.startswith(".") or not RESULT_NAME.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if not Path(entry.path).resolve().is_relative_to(base):
                continue
            out.append({"name": entry.name, "size": entry.stat(follow_symlinks=False).st_size})
        except OSError:
            continue
    return out


def tree_bytes(path: Path) -> int:
    """Bytes used by the regular files under ``path`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_size
    return total


def remove_tree(path: Path, jobs_root: Path) -> None:
    """Delete a job directory, only if it really is inside ``jobs_root``."""
    try:
        resolved = path.resolve()
    except OSError:
        return
    if resolved.is_relative_to(jobs_root.resolve()) and resolved != jobs_root.resolve():
        shutil.rmtree(resolved, ignore_errors=True)

"""Where job workers run: :mod:`.local` (subprocesses) or :mod:`.kubernetes` (batch/v1 Jobs)."""

from __future__ import annotations

from typing import Any


def make_runner(name: str, settings: Any, log: Any) -> Any:
    """The runner called ``name`` (``local`` or ``kubernetes``)."""
    if name == "local":
        from deslab_hub.jobs.runners.local import LocalRunner

        return LocalRunner(settings, log)
    if name == "kubernetes":
        from deslab_hub.jobs.runners.kubernetes import KubernetesRunner

        return KubernetesRunner(settings=settings, log=log, config=settings.config)
    raise ValueError(f"unknown runner {name!r}; valid runners: local, kubernetes")

"""Jobs: the client of the DESlab job service and the worker that runs jobs.

``client``   ``submit_query``, ``submit_cutouts``, ``submit_anomaly``, ``jobs()``, ``Job``
``worker``   ``python -m deslab.jobs.worker``: runs one job in its own process
``tasks``    one module per job type (``tasks/<type>.py`` defines ``run``)
``magics``   ``%desjobs`` and the ``--async`` support of ``%%desql``

``deslab.jobs`` is both this package and the function listing the caller's jobs: once a
submodule is imported Python binds the package to ``deslab.jobs``, so the package itself is
callable and ``deslab.jobs(phase="COMPLETED")`` works either way.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from deslab.jobs.client import jobs

        return jobs(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

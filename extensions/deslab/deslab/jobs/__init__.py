"""Jobs: the client of the DESlab job service and the worker that runs jobs.

``client``   ``submit_query``, ``submit_cutouts``, ``submit_anomaly``, ``jobs()``, ``Job``
``worker``   ``python -m deslab.jobs.worker``: runs one job in its own process
``tasks``    one module per job type (``tasks/<type>.py`` defines ``run``)
``magics``   ``%desjobs`` and the ``--async`` support of ``%%desql``
"""

"""The DESlab job service: a JupyterHub service that runs users' long jobs.

Start it with ``python -m deslab_hub.jobs`` (JupyterHub does so for a hub-managed service).
The modules, one concern each:

``app``        the service application: settings (traitlets), start-up, shutdown
``handlers``   the REST API under ``/services/jobs/api/`` (see ``openapi.yaml``)
``hubauth``    who is calling: hub token checks through ``jupyterhub.services.auth``
``store``      jobs and events in SQL through SQLAlchemy; ``migrations/`` for Alembic
``types``      the job types and their parameter validators (no science imports)
``scheduler``  queue, concurrency limits, progress, reconciliation after a restart
``runners``    where workers run: ``local`` subprocesses or ``kubernetes`` batch/v1 Jobs
``sweeper``    expiry of results and records; warnings before it
``quotas``     per-user limits answered with 429
``notify``     optional e-mail on completion through SMTP
"""

"""Alembic migrations of the job database (run by :func:`deslab_hub.jobs.store.upgrade`)."""

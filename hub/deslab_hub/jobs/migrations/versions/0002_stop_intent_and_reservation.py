"""Stop intents persisted before acting, and the disk quota reserved by running jobs.

- ``stop_phase``, ``stop_reason``, ``stop_requested``: a cancel (or a stop for exceeding the
  execution duration) recorded before the worker is signalled, so a service killed in between
  finishes it after a restart.
- ``deleting``: a DELETE of a running job, recorded before the worker is signalled; the job is
  hidden at once and its record and files go once its worker is gone.
- ``reserved_bytes``: bytes of the owner's disk quota a running job may write (its budget).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("stop_phase", sa.String(16), nullable=True))
        batch.add_column(sa.Column("stop_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("stop_requested", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleting", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("reserved_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in ("reserved_bytes", "deleting", "stop_requested", "stop_reason",
                     "stop_phase"):
            batch.drop_column(name)

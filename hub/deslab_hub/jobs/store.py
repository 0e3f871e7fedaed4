"""Jobs and events in SQL (SQLite locally, PostgreSQL in the cluster).

The store is the only module that talks SQL. Every phase change is a compare-and-set
(``UPDATE ... WHERE phase IN (...)``), so a cancel racing a completion has one winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from deslab_hub.jobs.models import EventRecord, JobRecord
from deslab_hub.jobs.phases import ACTIVE_PHASES, Phase

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` with the packaged Alembic migrations."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Store:
    """Job and event records.

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:////path/jobs.sqlite``, ``postgresql+psycopg://...``).
    migrate
        Run the Alembic migrations to ``head`` now.
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return self._session()

    # -- jobs ---------------------------------------------------------------------------

    def add_job(self, job: JobRecord) -> JobRecord:
        with self.session() as s, s.begin():
            s.add(job)
        return job

    def get_job(self, job_id: str) -> JobRecord | None:
        with self.session() as s:
            return s.get(JobRecord, job_id)

    def list_jobs(
        self,
        *,
        owner: str | None = None,
        phases: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[JobRecord], int]:
        """Jobs, newest first, with the total count matching the filters."""
        q = select(JobRecord).where(JobRecord.deleting.is_(False))
        if owner is not None:
            q = q.where(JobRecord.owner == owner)
        if phases:
            q = q.where(JobRecord.phase.in_(list(phases)))
        if types:
            q = q.where(JobRecord.type.in_(list(types)))
        with self.session() as s:
            total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
            rows = s.scalars(
                q.order_by(JobRecord.created.desc(), JobRecord.id).limit(limit).offset(offset)
            ).all()
        return list(rows), int(total)

    def jobs_in(self, phases: Iterable[str], *, owner: str | None = None) -> list[JobRecord]:
        """Jobs in any of ``phases``, oldest first (queue order)."""
        q = select(JobRecord).where(JobRecord.phase.in_(list(phases)))
        if owner is not None:
            q = q.where(JobRecord.owner == owner)
        with self.session() as s:
            return list(s.scalars(q.order_by(JobRecord.created, JobRecord.id)).all())

    def recent_completed(self, job_type: str, limit: int) -> list[JobRecord]:
        """The last ``limit`` jobs of a type that completed, most recent first."""
        q = (select(JobRecord)
             .where(JobRecord.type == job_type, JobRecord.phase == Phase.COMPLETED.value,
                    JobRecord.started.is_not(None), JobRecord.ended.is_not(None))
             .order_by(JobRecord.ended.desc(), JobRecord.id).limit(limit))
        with self.session() as s:
            return list(s.scalars(q).all())

    def count_active(self, owner: str) -> int:
        q = select(func.count()).where(
            JobRecord.owner == owner, JobRecord.phase.in_([p.value for p in ACTIVE_PHASES]),
            JobRecord.deleting.is_(False),
        )
        with self.session() as s:
            return int(s.scalar(q) or 0)

    def results_bytes(self, owner: str) -> int:
        q = select(func.coalesce(func.sum(JobRecord.results_bytes), 0)).where(
            JobRecord.owner == owner
        )
        with self.session() as s:
            return int(s.scalar(q) or 0)

    def quota_used(self, owner: str, *, running: bool = True) -> int:
        """Bytes of ``owner``'s disk quota in use: the results of completed jobs plus (with
        ``running``) what executing jobs have reserved."""
        done = select(func.coalesce(func.sum(JobRecord.results_bytes), 0)).where(
            JobRecord.owner == owner, JobRecord.phase == Phase.COMPLETED.value,
            JobRecord.deleting.is_(False),
        )
        reserved = select(func.coalesce(func.sum(JobRecord.reserved_bytes), 0)).where(
            JobRecord.owner == owner, JobRecord.phase == Phase.EXECUTING.value,
        )
        with self.session() as s:
            held = int(s.scalar(done) or 0)
            return held + (int(s.scalar(reserved) or 0) if running else 0)

    def update_job(self, job_id: str, **fields: Any) -> bool:
        """Set ``fields`` on a job whatever its phase; False when it does not exist."""
        with self.session() as s, s.begin():
            res = s.execute(update(JobRecord).where(JobRecord.id == job_id).values(**fields))
            return res.rowcount > 0

    def transition(
        self, job_id: str, new: Phase, *, expect: Sequence[Phase | str], **fields: Any
    ) -> bool:
        """Move a job to phase ``new`` only if it is in one of ``expect`` now.

        Returns
        -------
        bool
            Whether this call made the change (False: the job moved on meanwhile or is gone).
        """
        with self.session() as s, s.begin():
            res = s.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.phase.in_([str(p) for p in expect]))
                .values(phase=str(new), **fields)
            )
            return res.rowcount > 0

    def delete_job(self, job_id: str) -> bool:
        with self.session() as s, s.begin():
            res = s.execute(delete(JobRecord).where(JobRecord.id == job_id))
            return res.rowcount > 0

    def expired(self, now: datetime) -> list[JobRecord]:
        with self.session() as s:
            return list(s.scalars(select(JobRecord).where(
                JobRecord.destruction <= now, JobRecord.deleting.is_(False))).all())

    def expiring(self, before: datetime) -> list[JobRecord]:
        """Jobs to be destroyed before ``before`` that have not been warned yet."""
        q = select(JobRecord).where(
            JobRecord.destruction <= before, JobRecord.expiry_warned.is_(False),
            JobRecord.deleting.is_(False),
        )
        with self.session() as s:
            return list(s.scalars(q).all())

    # -- events -------------------------------------------------------------------------

    def add_event(
        self, owner: str, job_id: str, kind: str, *, phase: str | None = None, message: str = ""
    ) -> EventRecord:
        ev = EventRecord(
            owner=owner, job_id=job_id, kind=kind, phase=phase, message=message, created=utcnow()
        )
        with self.session() as s, s.begin():
            s.add(ev)
        return ev

    def events_since(
        self, since: int, *, owner: str | None = None, limit: int = 100
    ) -> list[EventRecord]:
        q = select(EventRecord).where(EventRecord.id > since)
        if owner is not None:
            q = q.where(EventRecord.owner == owner)
        with self.session() as s:
            return list(s.scalars(q.order_by(EventRecord.id).limit(limit)).all())

    def last_event_id(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.coalesce(func.max(EventRecord.id), 0))) or 0)

    def prune_events(self, before: datetime) -> int:
        with self.session() as s, s.begin():
            return s.execute(delete(EventRecord).where(EventRecord.created < before)).rowcount

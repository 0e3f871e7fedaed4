"""The SQL tables of the job service (SQLAlchemy 2 declarative models).

Schema changes go through a new Alembic revision in ``migrations/versions/``; the service
never calls ``create_all``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class JobRecord(Base):
    """One job: what was asked, where it runs, how far it got and what it produced."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    phase: Mapped[str] = mapped_column(String(16), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    execution_duration: Mapped[int] = mapped_column(Integer)
    destruction: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    quote: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    results_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    output_dir: Mapped[str] = mapped_column(Text)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False)
    expiry_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(32), nullable=True)
    worker_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    worker_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # a stop (cancel, execution duration, unreadable report) recorded before the worker is
    # signalled: the phase it ends in and why; a restarted service finishes it
    stop_phase: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    stop_requested: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # deleted while its worker ran: hidden now, record and files removed once it is gone
    deleting: Mapped[bool] = mapped_column(Boolean, default=False)
    # bytes of the owner's disk quota this running job may write (None: no quota)
    reserved_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class EventRecord(Base):
    """A change a user may want to hear about (completion, failure, imminent expiry)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    job_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str | None] = mapped_column(String(16), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

"""The job store on SQLite and on a real PostgreSQL server, schema from the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from deslab_hub.jobs.ids import new_job_id
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.phases import Phase
from deslab_hub.jobs.store import Store, current_revision, upgrade


def make_job(owner: str = "alice", phase: Phase = Phase.QUEUED, **kw) -> JobRecord:
    now = datetime.now(UTC)
    fields = dict(
        id=new_job_id(), owner=owner, type="query", name="n", phase=phase.value,
        params={"sql": "SELECT 'O''Brien' FROM DR2_MAIN", "binds": {"x": 1}}, created=now,
        execution_duration=60, destruction=now + timedelta(days=14), output_dir="/x",
    )
    fields.update(kw)
    return JobRecord(**fields)


@pytest.fixture
def store(db_url: str):
    s = Store(db_url)
    yield s
    s.close()


def test_migrations_create_the_schema_and_downgrade_cleanly(db_url: str) -> None:
    store = Store(db_url)
    assert current_revision(store.engine) == "0002"
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"jobs", "events", "alembic_version"} <= tables
    from alembic import command
    from deslab_hub.jobs.store import alembic_config

    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "jobs" not in sa.inspect(store.engine).get_table_names()
    upgrade(store.engine)
    upgrade(store.engine)  # idempotent
    assert current_revision(store.engine) == "0002"
    with store.engine.begin() as conn:  # 0002 on a database holding 0001 jobs
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    upgrade(store.engine)
    cols = {c["name"] for c in sa.inspect(store.engine).get_columns("jobs")}
    assert {"stop_phase", "stop_reason", "stop_requested", "deleting", "reserved_bytes"} <= cols
    store.close()


def test_jobs_round_trip_with_aware_times_and_json(store: Store) -> None:
    job = store.add_job(make_job(name="quote ' and \" and ; DROP TABLE jobs; --"))
    got = store.get_job(job.id)
    assert got is not None
    assert got.name == "quote ' and \" and ; DROP TABLE jobs; --"
    assert got.params == {"sql": "SELECT 'O''Brien' FROM DR2_MAIN", "binds": {"x": 1}}
    assert got.created.tzinfo is not None
    assert abs((got.created - job.created).total_seconds()) < 0.001
    assert store.get_job("0" * 32) is None


def test_listing_filters_pages_and_isolates_owners(store: Store) -> None:
    base = datetime.now(UTC)
    for i in range(5):
        store.add_job(make_job("alice", created=base + timedelta(seconds=i)))
    store.add_job(make_job("alice", Phase.COMPLETED, created=base + timedelta(seconds=9)))
    store.add_job(make_job("bob"))
    jobs, total = store.list_jobs(owner="alice", limit=2, offset=0)
    assert total == 6 and len(jobs) == 2 and jobs[0].phase == "COMPLETED"
    jobs, total = store.list_jobs(owner="alice", phases=["QUEUED"], limit=10, offset=3)
    assert total == 5 and len(jobs) == 2
    assert all(j.owner == "alice" for j in store.list_jobs(owner="alice")[0])
    assert store.count_active("alice") == 5 and store.count_active("bob") == 1
    assert [j.created for j in store.jobs_in(["QUEUED"], owner="alice")] == sorted(
        j.created for j in store.jobs_in(["QUEUED"], owner="alice"))


def test_transition_is_compare_and_set(store: Store) -> None:
    job = store.add_job(make_job())
    assert store.transition(job.id, Phase.EXECUTING, expect=[Phase.QUEUED], attempts=1)
    assert not store.transition(job.id, Phase.EXECUTING, expect=[Phase.QUEUED])
    assert store.transition(job.id, Phase.ABORTED, expect=[Phase.EXECUTING], error="stop")
    assert not store.transition(job.id, Phase.COMPLETED, expect=[Phase.EXECUTING])
    got = store.get_job(job.id)
    assert got.phase == "ABORTED" and got.error == "stop" and got.attempts == 1
    assert store.delete_job(job.id) and not store.delete_job(job.id)


def test_events_since_and_pruning(store: Store) -> None:
    a = store.add_event("alice", "a" * 32, "phase", phase="COMPLETED", message="done")
    store.add_event("bob", "b" * 32, "phase", phase="ERROR", message="failed")
    c = store.add_event("alice", "c" * 32, "expiring", message="soon")
    assert [e.id for e in store.events_since(0, owner="alice")] == [a.id, c.id]
    assert [e.id for e in store.events_since(a.id, owner="alice")] == [c.id]
    assert store.last_event_id() == c.id
    assert store.prune_events(datetime.now(UTC) + timedelta(seconds=1)) == 3
    assert store.events_since(0) == []


def test_expiry_queries(store: Store) -> None:
    now = datetime.now(UTC)
    old = store.add_job(make_job(destruction=now - timedelta(seconds=1)))
    soon = store.add_job(make_job(destruction=now + timedelta(hours=1)))
    store.add_job(make_job(destruction=now + timedelta(days=10)))
    assert [j.id for j in store.expired(now)] == [old.id]
    assert {j.id for j in store.expiring(now + timedelta(hours=2))} == {old.id, soon.id}
    store.update_job(soon.id, expiry_warned=True)
    assert {j.id for j in store.expiring(now + timedelta(hours=2))} == {old.id}


def test_quotes_are_learned_from_completed_jobs_of_the_same_type(store: Store) -> None:
    from deslab_hub.jobs.estimates import quote
    from deslab_hub.jobs.types import JOB_TYPES

    cutout, query = JOB_TYPES["cutout"], JOB_TYPES["query"]
    small = {"positions": "RA,DEC\n" + "0.1,0.2\n" * 10, "bands": "gri", "rgb": True}
    assert quote(store, cutout, small) is None  # nothing has completed yet
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    for i, seconds in enumerate((30, 40, 50)):  # 100 positions x 4 files each
        store.add_job(make_job(
            type="cutout", phase=Phase.COMPLETED,
            params={"positions": [[0.1, 0.2]] * 100, "bands": "gri", "rgb": True},
            started=t0 + timedelta(hours=i), ended=t0 + timedelta(hours=i, seconds=seconds)))
    store.add_job(make_job(type="cutout", phase=Phase.ERROR,  # failures teach nothing
                           params={"positions": [[0, 0]]}, started=t0, ended=t0))
    store.add_job(make_job(type="cutout", phase=Phase.EXECUTING, started=t0))
    # 0.1 s per file (the median), 10 positions x (3 bands + RGB)
    assert quote(store, cutout, small) == 4.0
    assert quote(store, cutout, {**small, "bands": "grizY", "rgb": False}) == 5.0
    assert quote(store, cutout, {"positions": "lists/targets.csv"}) is None  # size unknown
    assert quote(store, query, {"sql": "SELECT 1 FROM DUAL"}) is None  # no query finished
    for seconds in (2, 8, 3, 600):
        store.add_job(make_job(phase=Phase.COMPLETED, started=t0,
                               ended=t0 + timedelta(seconds=seconds)))
    assert quote(store, query, {"sql": "SELECT 1 FROM DUAL"}) == 5.5  # median duration

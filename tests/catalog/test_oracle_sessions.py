"""The Oracle backend's connection handling: a connection per statement, ``call_timeout`` set
from the query's timeout, a timeout that cancels its own statement only, and a connection
closed and replaced after a database error.

There is no Oracle server here, so ``oracledb.connect`` is replaced by :class:`FakeConnection`
at the driver boundary and nowhere else: everything above it is the real backend, the real
python-oracledb exception classes and error objects (``DatabaseError`` carrying the driver's
``_Error`` with ``ORA-``/``DPY-`` codes, built the way the driver builds them), and the real
deslab API. The fake does what python-oracledb's thin ``Connection`` does for these calls:
``fetch_df_batches`` is a lazy iterator whose first step executes, ``cancel()`` breaks the
running call with ORA-01013, ``is_healthy()`` is False once closed.
"""

from __future__ import annotations

import threading
import time

import deslab
import oracledb
import pyarrow as pa
import pytest
from deslab.catalog import connect
from deslab.catalog.api import check
from deslab.errors import QueryError, QueryTimeoutError, ReadOnlyError
from oracledb import errors as ora_errors

PASSWORD = "not-a-real-password"


def _ora(message: str) -> oracledb.DatabaseError:
    """An Oracle server error as python-oracledb raises it."""
    return oracledb.DatabaseError(ora_errors._Error(message))


class FakeConnection:
    """Stands in for ``oracledb.Connection`` (see the module docstring)."""

    def __init__(self, log: list) -> None:
        self.call_timeout = 0
        self.closed = False
        self.cancelled = threading.Event()
        self.seen_timeouts: list[int] = []
        log.append(self)

    def is_healthy(self) -> bool:
        return not self.closed

    def cancel(self) -> None:
        self.cancelled.set()

    def close(self) -> None:
        self.closed = True

    def fetch_df_batches(self, statement: str, parameters=None, size=None):
        self.seen_timeouts.append(self.call_timeout)
        if "SLEEP" in statement:  # a statement that runs ~2 s unless cancelled
            if self.cancelled.wait(2.0):
                self.cancelled.clear()
                raise _ora("ORA-01013: user requested cancel of current operation")
        if "MISSING_TABLE" in statement:
            raise _ora("ORA-00942: table or view does not exist")
        if "CALL_TIMEOUT" in statement:
            ora_errors._raise_err(ora_errors.ERR_CALL_TIMEOUT_EXCEEDED, timeout=1000)
        yield pa.table({"N": pa.array([len(statement)], pa.int64())})

    def cursor(self):
        return FakeCursor()


class FakeCursor:
    """Metadata queries (tables, columns) find an empty catalog."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def execute(self, sql, binds=None) -> None:
        return None

    def fetchall(self) -> list:
        return []


@pytest.fixture
def oracle(monkeypatch):
    """DESLAB_CATALOG is an Oracle URL; oracledb.connect hands out FakeConnections."""
    import deslab.catalog

    opened: list[FakeConnection] = []

    def fake_connect(*, params, password):
        assert password == PASSWORD and params.user == "des_reader"
        return FakeConnection(opened)

    monkeypatch.setattr(oracledb, "connect", fake_connect)
    monkeypatch.setenv("DESLAB_CATALOG", "oracle://des_reader@desdb.example.org:1521/desdr")
    monkeypatch.setenv("DESLAB_CATALOG_PASSWORD", PASSWORD)
    deslab.catalog.reset()
    yield opened
    deslab.catalog.reset()


def test_call_timeout_is_the_query_timeout(oracle, tmp_path):
    deslab.query("SELECT 1 FROM DUAL", timeout=7.5)
    assert oracle[-1].seen_timeouts == [7500]
    deslab.query_to_file("SELECT 1 FROM DUAL", tmp_path / "x.parquet")  # no timeout
    assert oracle[-1].seen_timeouts[-1] == 0


def test_healthy_connections_are_reused(oracle):
    for _ in range(3):
        assert deslab.query("SELECT 1 FROM DUAL")["N"][0] == len("SELECT 1 FROM DUAL")
    assert len(oracle) == 1 and not oracle[0].closed


def test_connection_that_raised_is_closed_and_replaced(oracle):
    deslab.query("SELECT 1 FROM DUAL")
    first = oracle[0]
    with pytest.raises(QueryError, match="unknown table MISSING_TABLE"):
        deslab.query("SELECT * FROM MISSING_TABLE")
    assert first.closed
    assert connect().replaced == 1
    assert deslab.query("SELECT 2 FROM DUAL")["N"][0] == len("SELECT 2 FROM DUAL")
    assert oracle[-1] is not first and not oracle[-1].closed


def test_call_timeout_error_is_a_timeout_and_replaces_the_connection(oracle):
    with pytest.raises(QueryTimeoutError, match="timeout"):
        deslab.query("SELECT CALL_TIMEOUT FROM DUAL", timeout=1)
    assert oracle[0].closed and connect().replaced == 1


def test_timeout_cancels_its_own_statement_only(oracle):
    backend = connect()
    box: dict = {}

    def run(key: str, timeout: float | None) -> None:
        try:
            box[key] = deslab.query("SELECT SLEEP FROM DUAL", timeout=timeout, catalog=backend)
        except Exception as exc:
            box[key] = exc
        box[key + "_end"] = time.monotonic()

    started = time.monotonic()
    long_q = threading.Thread(target=run, args=("long", None))
    long_q.start()
    time.sleep(0.2)
    short_q = threading.Thread(target=run, args=("short", 0.3))
    short_q.start()
    long_q.join(30)
    short_q.join(30)
    assert isinstance(box["short"], QueryTimeoutError), box["short"]
    assert not isinstance(box["long"], Exception), box["long"]
    assert box["short_end"] - started < 1.5 < box["long_end"] - started
    # two statements at once ran on two connections; the cancelled one was replaced
    assert len(oracle) == 2
    cancelled = [c for c in oracle if c.closed]
    assert len(cancelled) == 1 and cancelled[0].seen_timeouts == [300]
    assert [c for c in oracle if not c.closed][0].seen_timeouts == [0]


@pytest.mark.parametrize("sql", [
    "SELECT DBMS_XMLGEN.GETXML('SELECT * FROM DR2_MAIN') FROM DUAL",
    "SELECT UTL_HTTP.REQUEST('http://example.org') FROM DUAL",
    "SELECT HTTPURITYPE('http://example.org').GETCLOB() FROM DUAL",
    "SELECT * FROM SYS.USER$",
])
def test_guard_refuses_before_anything_is_sent(oracle, sql):
    with pytest.raises(ReadOnlyError):
        deslab.query(sql)
    assert oracle == []


def test_oracle_gets_the_sql_as_written_without_local_links(oracle):
    sql = "SELECT /*+ PARALLEL(4) */ COUNT(*) FROM DR2_MAIN@DESDR SAMPLE BLOCK (1, 8)"
    assert check(sql) == sql.replace("@DESDR", "      ")
    with pytest.raises(QueryError, match="DESSCI"):
        check("SELECT * FROM Y3_GOLD@DESSCI")

"""The DES Oracle catalog through python-oracledb (thin mode; thick mode on request).

The SQL is sent unchanged (it is Oracle SQL already) after the read-only guard; bind values go
as bind parameters. Results stream as Arrow batches (``Connection.fetch_df_batches``). The
password is read from the configured file or variable, passed to ``oracledb.connect`` and
nowhere else: it is not part of the connect parameters object, the URL, any message or log.

One query cannot harm another: each statement runs on a connection of its own, taken from a
small set of idle ones (or opened) and given back when the statement ends, so a timeout
cancels that statement only (``Connection.cancel()`` from a timer thread) while other queries
of the same process go on. The statement's timeout is also set as the connection's
``call_timeout``, so a call the cancel cannot reach still ends. A connection on which a
database error happened is closed and replaced by a new one for the next statement (a
session left in a bad state never hangs the next query, as it did in easyaccess).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import oracledb
import pyarrow as pa

from deslab.catalog.backends.base import Backend, ClosingReader, ColumnInfo, TableInfo
from deslab.catalog.dialect import Statement, to_oracle
from deslab.catalog.url import CatalogURL, Secret
from deslab.errors import ConfigurationError, QueryError, QueryTimeoutError, ReadOnlyError

PROGRAM = "deslab"
CONNECT_TIMEOUT = 20.0  # seconds to reach the listener
_SYSTEM_OWNERS = ("SYS", "SYSTEM", "XDB", "MDSYS", "CTXSYS", "ORDSYS", "OUTLN", "DBSNMP",
                  "APPQOSSYS", "WMSYS", "LBACSYS", "OJVMSYS", "GSMADMIN_INTERNAL", "AUDSYS",
                  "DVSYS", "OLAPSYS", "ORDDATA", "DBSFWUSER", "REMOTE_SCHEDULER_AGENT")
IDLE_CONNECTIONS = 4  # idle connections kept for the next statements
_thick_lock = threading.Lock()
_thick_done = False

# ORA codes that mean "the account may not do this" (read-only account, no grant)
_PRIVILEGE_CODES = ("ORA-01031", "ORA-01924", "ORA-16000", "ORA-01552")
_CANCEL_CODES = ("ORA-01013", "DPI-1067", "DPY-4011")
_TIMEOUT_CODES = ("DPY-4024", "DPI-1080", "ORA-03156")


def init_thick(url: CatalogURL) -> None:
    """Switch python-oracledb to thick mode (once per process), with the URL's lib_dir."""
    global _thick_done
    with _thick_lock:
        if _thick_done:
            return
        kwargs = {k: url.options[k] for k in ("lib_dir", "config_dir") if url.options.get(k)}
        try:
            oracledb.init_oracle_client(**kwargs)
        except oracledb.Error as exc:
            raise ConfigurationError(
                "cannot load the Oracle client libraries for thick mode "
                f"({_code(exc)}): install Oracle Instant Client and give its directory with "
                "?lib_dir=... in DESLAB_CATALOG, or use thin mode (the default)"
            ) from None
        _thick_done = True


def _code(exc: BaseException) -> str:
    err = exc.args[0] if exc.args else None
    code = getattr(err, "full_code", None)
    return code or type(exc).__name__


def _message(exc: BaseException) -> str:
    err = exc.args[0] if exc.args else None
    text = getattr(err, "message", None) or str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class OracleBackend(Backend):
    """A read-only session on the Oracle catalog.

    Parameters
    ----------
    url : CatalogURL
        ``oracle://user@host:port/service`` with options ``mode=thick``, ``lib_dir``,
        ``config_dir``.
    password : Secret
        From ``DESLAB_CATALOG_PASSWORD_FILE`` / ``DESLAB_CATALOG_PASSWORD``.
    """

    name = "oracle"

    def __init__(self, url: CatalogURL, password: Secret) -> None:
        if url.scheme != "oracle":
            raise ConfigurationError("the Oracle backend needs an oracle:// catalog URL")
        self.url = url
        self._password = password
        self._lock = threading.Lock()
        self._idle: list[oracledb.Connection] = []
        # connection -> thread that runs a statement on it now
        self._busy: dict[oracledb.Connection, int] = {}
        self.replaced = 0  # connections closed after a database error (for operators/tests)

    def connect_params(self) -> oracledb.ConnectParams:
        """The python-oracledb connect parameters (everything but the password)."""
        return oracledb.ConnectParams(
            user=self.url.user,
            host=self.url.host,
            port=self.url.port,
            service_name=self.url.service,
            tcp_connect_timeout=CONNECT_TIMEOUT,
            program=PROGRAM,
            driver_name=f"{PROGRAM} : python-oracledb",
            config_dir=self.url.options.get("config_dir"),
        )

    def _acquire(self) -> oracledb.Connection:
        """A connection for one statement: an idle healthy one, else a new one; its
        ``call_timeout`` is the timeout of the caller's deadline (0: none)."""
        conn = None
        with self._lock:
            while self._idle and conn is None:
                candidate = self._idle.pop()
                if candidate.is_healthy():
                    conn = candidate
                else:
                    _close_quietly(candidate)
        if conn is None:
            if self.url.thick:
                init_thick(self.url)
            try:
                conn = oracledb.connect(params=self.connect_params(),
                                        password=self._password.reveal())
            except oracledb.Error as exc:
                raise self.connect_error(exc) from None
        timeout = self.statement_timeout()
        conn.call_timeout = int(math.ceil(timeout * 1000)) if timeout else 0
        with self._lock:
            self._busy[conn] = threading.get_ident()
        return conn

    def _release(self, conn: oracledb.Connection, failed: bool = False) -> None:
        """Give a connection back after its statement; one that failed is closed (replaced
        by a new one on the next statement)."""
        with self._lock:
            self._busy.pop(conn, None)
            keep = not failed and len(self._idle) < IDLE_CONNECTIONS
            if keep:
                try:
                    keep = conn.is_healthy()
                except oracledb.Error:
                    keep = False
            if keep:
                self._idle.append(conn)
                return
            if failed:
                self.replaced += 1
        _close_quietly(conn)

    @contextmanager
    def _statement(self) -> Iterator[oracledb.Connection]:
        conn = self._acquire()
        failed = True
        try:
            yield conn
            failed = False
        finally:
            self._release(conn, failed)

    def connect_error(self, exc: BaseException) -> ConfigurationError:
        """The message for a failed connection: the error code and what to do, no DSN."""
        code = _code(exc)
        if code in ("ORA-01017", "ORA-28000", "ORA-28001"):
            what = ("the catalog refused the user name or password; check the file named by "
                    "DESLAB_CATALOG_PASSWORD_FILE")
        else:
            what = ("the Oracle catalog could not be reached; check DESLAB_CATALOG and the "
                    "network, or ask your administrator")
        return ConfigurationError(f"cannot connect to the catalog ({code}): {what}")

    # -- running queries -------------------------------------------------------------
    def stream(self, stmt: Statement, binds: dict, batch_rows: int) -> pa.RecordBatchReader:
        conn = self._acquire()
        try:
            frames = conn.fetch_df_batches(statement=self.translate(stmt),
                                           parameters=binds or None, size=batch_rows)
            first = next(frames, None)
            if first is None:
                raise QueryError("the catalog returned no result description for this query")
            # OracleDataFrame speaks the Arrow C stream interface
            first_table = pa.table(first)
        except oracledb.Error as exc:
            self._release(conn, failed=True)
            raise self.error(exc, stmt) from None
        except BaseException:
            self._release(conn, failed=True)
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            yield from first_table.to_batches()
            for frame in frames:
                yield from pa.table(frame).to_batches()

        def error(exc: Exception) -> Exception | None:
            return self.error(exc, stmt) if isinstance(exc, oracledb.Error) else None

        reader = pa.RecordBatchReader.from_batches(first_table.schema, batches())
        return ClosingReader(reader, lambda failed: self._release(conn, failed), error,
                             conn.cancel)

    def translate(self, stmt: Statement) -> str:
        """The SQL sent to Oracle: as written, without database links that name this
        catalog (``DR2_MAIN@DESDR``)."""
        return to_oracle(stmt)

    def explain(self, stmt: Statement, binds: dict) -> str:
        try:
            with self._statement() as conn, conn.cursor() as cur:
                cur.execute("EXPLAIN PLAN FOR " + self.translate(stmt), binds or {})
                cur.execute("SELECT PLAN_TABLE_OUTPUT FROM TABLE(DBMS_XPLAN.DISPLAY())")
                return "\n".join(r[0] for r in cur.fetchall())
        except oracledb.Error as exc:
            raise self.error(exc, stmt) from None

    def string_widths(self, stmt: Statement, binds: dict, columns: list[str]) -> dict[str, int]:
        if not columns:
            return {}
        exprs = ", ".join(f'NVL(MAX(LENGTHB("{c}")), 0)' for c in columns)
        try:
            with self._statement() as conn, conn.cursor() as cur:
                cur.execute(f"SELECT {exprs} FROM ({self.translate(stmt)})", binds or {})
                row = cur.fetchone()
        except oracledb.Error as exc:
            raise self.error(exc, stmt) from None
        return {c: int(w or 1) for c, w in zip(columns, row, strict=True)}

    def interrupt(self, owner: int | None = None) -> None:
        with self._lock:
            busy = [c for c, o in self._busy.items() if owner is None or o == owner]
        for conn in busy:
            try:
                conn.cancel()
            except oracledb.Error:
                pass

    def close(self) -> None:
        self.interrupt()
        with self._lock:
            conns, self._idle = self._idle + list(self._busy), []
            self._busy.clear()
        for conn in conns:
            _close_quietly(conn)

    def error(self, exc: BaseException, stmt: Statement | None = None) -> Exception:
        """Turn an oracledb exception into the DESlab error a user should see."""
        code = _code(exc)
        text = _message(exc)
        if code in _TIMEOUT_CODES:
            return QueryTimeoutError(
                "the query ran longer than its timeout and was cancelled on the server; add a "
                "tighter WHERE clause or a row cap, raise timeout=..., or submit it as a job "
                "(deslab.submit_query)")
        if code in _CANCEL_CODES:
            return QueryError("the query was cancelled before it finished")
        if code in _PRIVILEGE_CODES:
            return ReadOnlyError(f"refused by the catalog ({code}): the catalog account is "
                                 "read-only and only queries run")
        if code in ("ORA-00942", "ORA-00904"):
            from deslab.catalog.metadata import explain_unknown_name

            return QueryError(explain_unknown_name(self, text, stmt))
        if code.startswith("DPY-6") or code.startswith("DPY-4011") or code in (
                "ORA-12541", "ORA-12514", "ORA-12170", "ORA-03113", "ORA-03135"):
            return self.connect_error(exc)
        return QueryError(f"the catalog could not run the query: {text}")

    # -- metadata -------------------------------------------------------------------------
    def _rows(self, sql: str, binds: dict | None = None) -> list[tuple]:
        try:
            with self._statement() as conn, conn.cursor() as cur:
                cur.execute(sql, binds or {})
                return cur.fetchall()
        except oracledb.Error as exc:
            raise self.error(exc) from None

    def tables(self) -> list[TableInfo]:
        owners = ", ".join(f"'{o}'" for o in _SYSTEM_OWNERS)
        rows = self._rows(
            "SELECT t.table_name, NVL(c.comments, ' '), t.num_rows FROM all_tables t "
            "LEFT JOIN all_tab_comments c ON c.owner = t.owner AND c.table_name = t.table_name "
            f"WHERE t.owner NOT IN ({owners}) ORDER BY t.table_name"
        )
        return [TableInfo(name=r[0], description=(r[1] or "").strip(), rows=r[2]) for r in rows]

    def columns(self, table: str | None = None) -> list[ColumnInfo]:
        owners = ", ".join(f"'{o}'" for o in _SYSTEM_OWNERS)
        sql = (
            "SELECT c.table_name, c.column_name, c.data_type, NVL(m.comments, ' ') "
            "FROM all_tab_columns c LEFT JOIN all_col_comments m ON m.owner = c.owner AND "
            "m.table_name = c.table_name AND m.column_name = c.column_name "
            f"WHERE c.owner NOT IN ({owners})"
        )
        binds = None
        if table is not None:
            sql += " AND c.table_name = :t"
            binds = {"t": table.upper().split(".")[-1]}
        rows = self._rows(sql + " ORDER BY c.table_name, c.column_id", binds)
        return [ColumnInfo(table=r[0], name=r[1], type=r[2], description=(r[3] or "").strip())
                for r in rows]


def _close_quietly(conn: oracledb.Connection) -> None:
    try:
        conn.close()
    except oracledb.Error:
        pass

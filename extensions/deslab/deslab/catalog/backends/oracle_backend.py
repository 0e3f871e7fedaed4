"""The DES Oracle catalog through python-oracledb (thin mode; thick mode on request).

The SQL is sent unchanged (it is Oracle SQL already) after the read-only guard; bind values go
as bind parameters. Results stream as Arrow batches (``Connection.fetch_df_batches``). The
password is read from the configured file or variable, passed to ``oracledb.connect`` and
nowhere else: it is not part of the connect parameters object, the URL, any message or log.
A timeout sets ``call_timeout`` and cancels the running call from a timer thread
(``Connection.cancel()``), which leaves the connection usable.
"""

from __future__ import annotations

import threading

import oracledb
import pyarrow as pa

from deslab.catalog.backends.base import Backend, ColumnInfo, TableInfo
from deslab.catalog.dialect import Statement
from deslab.catalog.url import CatalogURL, Secret
from deslab.errors import ConfigurationError, QueryError, ReadOnlyError

PROGRAM = "deslab"
CONNECT_TIMEOUT = 20.0  # seconds to reach the listener
_SYSTEM_OWNERS = ("SYS", "SYSTEM", "XDB", "MDSYS", "CTXSYS", "ORDSYS", "OUTLN", "DBSNMP",
                  "APPQOSSYS", "WMSYS", "LBACSYS", "OJVMSYS", "GSMADMIN_INTERNAL", "AUDSYS",
                  "DVSYS", "OLAPSYS", "ORDDATA", "DBSFWUSER", "REMOTE_SCHEDULER_AGENT")
_thick_lock = threading.Lock()
_thick_done = False

# ORA codes that mean "the account may not do this" (read-only account, no grant)
_PRIVILEGE_CODES = ("ORA-01031", "ORA-01924", "ORA-16000", "ORA-01552")
_CANCEL_CODES = ("ORA-01013", "DPY-4024", "DPI-1067", "DPY-4011")


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
        self._conn: oracledb.Connection | None = None
        self._lock = threading.Lock()

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

    def _connection(self) -> oracledb.Connection:
        with self._lock:
            if self._conn is not None and self._conn.is_healthy():
                return self._conn
            if self.url.thick:
                init_thick(self.url)
            try:
                conn = oracledb.connect(params=self.connect_params(),
                                        password=self._password.reveal())
            except oracledb.Error as exc:
                raise self.connect_error(exc) from None
            self._conn = conn
            return conn

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
        conn = self._connection()
        try:
            frames = conn.fetch_df_batches(statement=stmt.sql, parameters=binds or None,
                                           size=batch_rows)
            first = next(frames, None)
        except oracledb.Error as exc:
            raise self.error(exc, stmt) from None
        if first is None:
            raise QueryError("the catalog returned no result description for this query")
        # OracleDataFrame speaks the Arrow C stream interface
        first_table = pa.table(first)

        def batches():
            yield from first_table.to_batches()
            try:
                for frame in frames:
                    yield from pa.table(frame).to_batches()
            except oracledb.Error as exc:
                raise self.error(exc, stmt) from None

        return pa.RecordBatchReader.from_batches(first_table.schema, batches())

    def explain(self, stmt: Statement, binds: dict) -> str:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute("EXPLAIN PLAN FOR " + stmt.sql, binds or {})
                cur.execute("SELECT PLAN_TABLE_OUTPUT FROM TABLE(DBMS_XPLAN.DISPLAY())")
                return "\n".join(r[0] for r in cur.fetchall())
        except oracledb.Error as exc:
            raise self.error(exc, stmt) from None

    def string_widths(self, stmt: Statement, binds: dict, columns: list[str]) -> dict[str, int]:
        if not columns:
            return {}
        exprs = ", ".join(f'NVL(MAX(LENGTHB("{c}")), 0)' for c in columns)
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT {exprs} FROM ({stmt.sql})", binds or {})
                row = cur.fetchone()
        except oracledb.Error as exc:
            raise self.error(exc, stmt) from None
        return {c: int(w or 1) for c, w in zip(columns, row, strict=True)}

    def interrupt(self) -> None:
        conn = self._conn
        if conn is not None:
            try:
                conn.cancel()
            except oracledb.Error:
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except oracledb.Error:
                pass

    def error(self, exc: BaseException, stmt: Statement | None = None) -> Exception:
        """Turn an oracledb exception into the DESlab error a user should see."""
        code = _code(exc)
        text = _message(exc)
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
        conn = self._connection()
        try:
            with conn.cursor() as cur:
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

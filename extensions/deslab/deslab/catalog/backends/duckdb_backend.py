"""The embedded DuckDB catalog (the demo survey), opened so that it cannot be changed.

The database enforces read-only itself: the file is opened ``read_only=True`` with
``enable_external_access=false`` (no files, no network, no ATTACH of other databases) and
``lock_configuration=true`` (a query cannot switch these back on). One query cannot starve the
others or the machine: every statement runs on its own cursor (a timeout interrupts that
cursor only), and DuckDB works within ``memory_limit``, spilling to ``temp_directory`` up to
``max_temp_directory_size`` (``DESLAB_DUCKDB_*`` settings), so a runaway join ends in a clear
error. Units and descriptions come from the metadata table ``DESLAB_COLUMNS`` when the catalog
has one, else from the columns' ``COMMENT``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pyarrow as pa

from deslab.catalog import numformat
from deslab.catalog.backends.base import Backend, ClosingReader, ColumnInfo, TableInfo
from deslab.catalog.dialect import Statement
from deslab.catalog.duckdb_sql import to_duckdb
from deslab.catalog.url import CatalogURL
from deslab.errors import ConfigurationError, QueryError, ReadOnlyError
from deslab.settings import Settings, settings

CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}

METADATA_TABLE = "DESLAB_COLUMNS"


def duckdb_config(conf: Settings | None = None, threads: int | None = None) -> dict:
    """The configuration the catalog is opened with: read-only and locked (:data:`CONFIG`)
    plus the memory limit and spill directory from the settings.

    DuckDB keeps one configuration per database file and process, so anything else in the
    process that opens the catalog file must pass this same configuration.
    """
    conf = conf or settings()
    config = dict(CONFIG)
    config.update(memory_limit=conf.duckdb_memory_limit,
                  temp_directory=str(conf.duckdb_temp_directory),
                  max_temp_directory_size=conf.duckdb_max_temp_size)
    if threads:
        config["threads"] = threads
    return config


class DuckDBBackend(Backend):
    """A read-only DuckDB catalog file.

    Parameters
    ----------
    url : CatalogURL
        ``duckdb:///path/catalog.duckdb``; the file must exist.
    threads : int, optional
        DuckDB worker threads (default: DuckDB's choice, one per core).
    """

    name = "duckdb"

    def __init__(self, url: CatalogURL, *, threads: int | None = None) -> None:
        self.url = url
        path = Path(url.path or "")
        if not path.is_file():
            raise ConfigurationError(
                f"the DuckDB catalog {path} does not exist: check DESLAB_CATALOG, or generate "
                f"the demo survey with `deslab demo-data --out {path.parent}`"
            )
        config = duckdb_config(threads=threads)
        try:
            Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create DuckDB's temporary directory {config['temp_directory']} "
                f"({exc.strerror}): set DESLAB_DUCKDB_TEMP_DIRECTORY to a writable directory"
            ) from None
        try:
            self._con = duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.Error as exc:
            raise ConfigurationError(
                f"cannot open the DuckDB catalog {path}: {_first_line(exc)} (check "
                "DESLAB_DUCKDB_MEMORY_LIMIT, DESLAB_DUCKDB_MAX_TEMP_SIZE)"
            ) from None
        # Oracle's TO_CHAR(number, format), for the statements that use it (one registration
        # per database instance: connections of this process to the file share it)
        try:
            self._con.create_function(numformat.FUNCTION, numformat.oracle_to_char,
                                      ["DOUBLE", "VARCHAR"], "VARCHAR", null_handling="special",
                                      side_effects=False)
        except duckdb.CatalogException:
            pass
        self._lock = threading.Lock()
        # each statement's own cursor -> the thread that started it
        self._active: dict[duckdb.DuckDBPyConnection, int] = {}
        self._meta: dict[str, list[ColumnInfo]] | None = None

    # -- running queries -------------------------------------------------------------
    def translate(self, stmt: Statement) -> str:
        return to_duckdb(stmt)

    def _cursor(self, sql: str = "") -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one statement (so it can be interrupted alone)."""
        cur = self._con.cursor()
        with self._lock:
            self._active[cur] = threading.get_ident()
        return cur

    def _release(self, cur: duckdb.DuckDBPyConnection, failed: bool = False) -> None:
        with self._lock:
            self._active.pop(cur, None)
        try:
            cur.close()
        except duckdb.Error:
            pass

    def stream(self, stmt: Statement, binds: dict, batch_rows: int) -> pa.RecordBatchReader:
        sql = self.translate(stmt)
        cur = self._cursor(sql)
        try:
            reader = cur.sql(sql, params=binds or None).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            self._release(cur)
            raise self.error(exc, stmt) from None
        except BaseException:
            self._release(cur)
            raise
        def error(exc: Exception) -> Exception | None:
            return self.error(exc, stmt) if isinstance(exc, duckdb.Error) else None

        return ClosingReader(reader, lambda failed: self._release(cur), error, cur.interrupt)

    def explain(self, stmt: Statement, binds: dict) -> str:
        sql = self.translate(stmt)
        cur = self._cursor(sql)
        try:
            rows = cur.execute("EXPLAIN " + sql, binds or None).fetchall()
        except duckdb.Error as exc:
            raise self.error(exc, stmt) from None
        finally:
            self._release(cur)
        return "\n".join(str(r[-1]) for r in rows)

    def string_widths(self, stmt: Statement, binds: dict, columns: list[str]) -> dict[str, int]:
        """Widest value (bytes) per string column: from DuckDB's propagated column statistics
        when it has them (no scan), else by a pass over those columns of the result."""
        if not columns:
            return {}
        sql = self.translate(stmt)

        def quoted(c: str) -> str:
            return '"' + c.replace('"', '""') + '"'

        widths: dict[str, int] = {}
        cur = self._cursor(sql)
        try:
            exprs = ", ".join(f"stats({quoted(c)})" for c in columns)
            try:
                row = cur.execute(f"SELECT {exprs} FROM ({sql}) LIMIT 1", binds or None).fetchone()
            except duckdb.Error:
                row = None
            for c, st in zip(columns, row or [None] * len(columns), strict=True):
                if isinstance(st, dict) and st.get("max_string_length") is not None:
                    widths[c] = int(st["max_string_length"])
            missing = [c for c in columns if c not in widths]
            if missing:
                exprs = ", ".join(
                    f"COALESCE(MAX(STRLEN(CAST({quoted(c)} AS VARCHAR))), 0)" for c in missing)
                row = cur.execute(f"SELECT {exprs} FROM ({sql})", binds or None).fetchone()
                widths.update({c: int(w) for c, w in zip(missing, row, strict=True)})
        except duckdb.Error as exc:
            raise self.error(exc, stmt) from None
        finally:
            self._release(cur)
        return widths

    def interrupt(self, owner: int | None = None) -> None:
        with self._lock:
            active = [c for c, o in self._active.items() if owner is None or o == owner]
        for cur in active:
            try:
                cur.interrupt()
            except duckdb.Error:
                pass

    def close(self) -> None:
        self.interrupt()
        try:
            self._con.close()
        except duckdb.Error:
            pass

    def error(self, exc: Exception, stmt: Statement | None = None) -> Exception:
        """Turn a DuckDB exception into the DESlab error a user should see."""
        text = _first_line(exc)
        if isinstance(exc, duckdb.InterruptException):
            return QueryError("the query was interrupted before it finished")
        if isinstance(exc, duckdb.PermissionException):
            return ReadOnlyError(f"refused by the catalog: {text}; the catalog is read-only "
                                 "and cannot reach files or the network")
        if isinstance(exc, duckdb.CatalogException | duckdb.BinderException):
            from deslab.catalog.metadata import explain_unknown_name

            return QueryError(explain_unknown_name(self, text, stmt))
        if isinstance(exc, duckdb.OutOfMemoryException) or "max_temp_directory_size" in text:
            return QueryError(
                "the query needs more memory and temporary disk than a query may use here "
                f"({text.split('(')[0].strip()}); a join without a join condition (every row "
                "with every row) is the usual cause: add the condition, select fewer rows or "
                "columns, or run it as a job (deslab.submit_query)")
        if isinstance(exc, duckdb.ParserException):
            return QueryError(f"the SQL could not be run: {text}")
        return QueryError(f"the catalog could not run the query: {text}")

    # -- metadata -------------------------------------------------------------------------
    def _run_internal(self, sql: str, params: list | None = None) -> list[tuple]:
        cur = self._cursor()
        try:
            return cur.execute(sql, params).fetchall()
        finally:
            self._release(cur)

    def tables(self) -> list[TableInfo]:
        rows = self._run_internal(
            "SELECT table_name, COALESCE(comment, ''), estimated_size FROM duckdb_tables() "
            "WHERE NOT internal AND NOT temporary "
            "UNION ALL SELECT view_name, COALESCE(comment, ''), NULL FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary ORDER BY 1"
        )
        return [TableInfo(name=r[0], description=r[1], rows=r[2]) for r in rows]

    def _metadata(self) -> dict[str, list[ColumnInfo]]:
        if self._meta is not None:
            return self._meta
        rows = self._run_internal(
            "SELECT table_name, column_name, data_type, COALESCE(comment, '') "
            "FROM duckdb_columns() WHERE NOT internal ORDER BY table_name, column_index"
        )
        extra: dict[tuple[str, str], tuple[str, str]] = {}
        if any(t.name.upper() == METADATA_TABLE for t in self.tables()):
            for t, c, unit, desc in self._run_internal(
                f"SELECT TABLE_NAME, COLUMN_NAME, UNIT, DESCRIPTION FROM {METADATA_TABLE}"
            ):
                extra[(str(t).upper(), str(c).upper())] = (unit or "", desc or "")
        meta: dict[str, list[ColumnInfo]] = {}
        for table, column, dtype, comment in rows:
            unit, desc = extra.get((table.upper(), column.upper()), ("", comment))
            meta.setdefault(table.upper(), []).append(
                ColumnInfo(table=table, name=column, type=dtype, unit=unit,
                           description=desc or comment)
            )
        self._meta = meta
        return meta

    def columns(self, table: str | None = None) -> list[ColumnInfo]:
        meta = self._metadata()
        if table is None:
            return [c for cols in meta.values() for c in cols]
        return list(meta.get(table.upper().split(".")[-1], []))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

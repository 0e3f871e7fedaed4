"""The catalog API: quick queries, streaming exports, metadata.

>>> import deslab
>>> t = deslab.query("SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 5")   # doctest: +SKIP
>>> deslab.query_to_file("SELECT * FROM DR2_MAIN", "all.fits")            # doctest: +SKIP

Every surface (the magics, the ``deslab`` command, the job worker, the lab's REST handlers)
calls these functions; the SQL is Oracle SQL on every backend.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from astropy.table import Table

from deslab.catalog import connect
from deslab.catalog import metadata as _meta
from deslab.catalog.backends.base import Backend
from deslab.catalog.dialect import Statement, check_binds, parse
from deslab.catalog.export import ExportResult, Progress, export
from deslab.catalog.results import to_table
from deslab.errors import ConfigurationError, QueryError
from deslab.settings import settings

DEFAULT_TIMEOUT = 30.0
BATCH_ROWS = 1 << 16


def _backend(catalog: str | Backend | None) -> Backend:
    if isinstance(catalog, Backend):
        return catalog
    return connect(catalog)


def _check_number(name: str, value: Any, *, integer: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if integer:
        ok = ok and float(value).is_integer()
    if value is not None and not ok:
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise QueryError(f"{name} must be {kind} or None, not {value!r}")


def prepare(sql: str, backend: Backend | None = None) -> Statement:
    """Parse and check ``sql`` (one read-only Oracle query) without running it.

    Raises
    ------
    ReadOnlyError, QueryError
    """
    allow = backend is not None and backend.name == "oracle"
    return parse(sql, allow_unparsed=allow)


def bind_values(sql: str, namespace: Mapping[str, Any], *,
                catalog: str | Backend | None = None) -> dict[str, Any]:
    """The values of ``sql``'s ``:name`` binds, looked up in ``namespace`` (any case).

    The SQL is read as :func:`query` reads it, with the catalog's backend in hand (so Oracle
    SQL that only the Oracle catalog understands is accepted there too); without a
    configured catalog it is read as the job service's worker will.

    Raises
    ------
    QueryError
        A bind has no value in ``namespace`` (the message lists the names), or the SQL is
        malformed.
    """
    try:
        backend: Backend | None = _backend(catalog)
    except ConfigurationError:
        backend = None
    stmt = prepare(sql, backend)
    lower = {str(k).lower(): k for k in namespace}
    missing = [b for b in stmt.binds if b not in lower]
    if missing:
        raise QueryError(
            "bind variable(s) " + ", ".join(":" + b for b in missing) + " not defined in "
            "the notebook: assign them first (e.g. ra_min = 10.0), then run the cell again"
        )
    return {b: namespace[lower[b]] for b in stmt.binds}


def check(sql: str, *, catalog: str | Backend | None = None) -> str:
    """Check ``sql`` without running it; return the SQL as the catalog would run it."""
    backend = _backend(catalog)
    return backend.translate(prepare(sql, backend))


def explain(sql: str, *, binds: dict | None = None, catalog: str | Backend | None = None
            ) -> str:
    """The catalog's execution plan for ``sql``, as text."""
    backend = _backend(catalog)
    stmt = prepare(sql, backend)
    return backend.explain(stmt, check_binds(stmt, binds))


def query(sql: str, *, binds: dict | None = None, timeout: float | None = DEFAULT_TIMEOUT,
          limit: int | None = None, catalog: str | Backend | None = None) -> Table:
    """Run a quick query and return the rows as an astropy Table.

    Parameters
    ----------
    sql : str
        One Oracle SQL query (``SELECT`` / ``WITH``); ``EXPLAIN PLAN FOR SELECT ...`` returns
        the plan as a one-column table.
    binds : dict, optional
        Values of the ``:name`` bind variables (never format values into the SQL).
    timeout : float or None
        Seconds before the statement is cancelled on the server (default 30); the connection
        stays usable. None for no limit.
    limit : int, optional
        Keep at most this many rows (the rest are not fetched); ``meta["truncated"]`` says
        whether rows were left out.
    catalog : str, optional
        Another catalog URL than ``DESLAB_CATALOG``.

    Returns
    -------
    astropy.table.Table
        Columns have the catalog's units and descriptions; ``meta`` holds the query, the
        catalog (without credentials), the time and row count. ``.to_pandas()`` converts.

    Raises
    ------
    QueryError
        Malformed SQL, an unknown table or column (with the closest names), a missing bind.
    ReadOnlyError
        The statement is not a query.
    QueryTimeoutError
        The query ran past ``timeout``.

    A result bigger than ``DESLAB_QUERY_MAX_BYTES`` (a quarter of the memory available by
    default) is stopped with a :class:`QueryError`: export big results with
    :func:`query_to_file`, whose memory stays bounded.
    """
    _check_number("timeout", timeout)
    _check_number("limit", limit, integer=True)
    backend = _backend(catalog)
    stmt = prepare(sql, backend)
    values = check_binds(stmt, binds)
    started = time.perf_counter()
    meta = {
        "query": stmt.sql,
        "catalog": str(backend.url),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if stmt.explain:
        with backend.deadline(timeout):
            plan = backend.explain(stmt, values)
        return Table({"PLAN": plan.splitlines() or [""]}, meta=meta)
    batches: list[pa.RecordBatch] = []
    rows = 0
    held = 0
    cap = settings().query_max_bytes
    truncated = False
    with backend.deadline(timeout):
        reader = backend.stream(stmt, values, BATCH_ROWS)
        schema = reader.schema
        try:
            for batch in reader:
                if limit is not None and rows + batch.num_rows > limit:
                    batch = batch.slice(0, int(limit) - rows)
                    truncated = True
                batches.append(batch)
                rows += batch.num_rows
                held += batch.nbytes
                if held > cap:
                    batches.clear()
                    raise QueryError(
                        f"the result passed {cap / 1e6:,.0f} MB, more than a quick query may "
                        "hold in memory (DESLAB_QUERY_MAX_BYTES), and was stopped: add a row "
                        "cap (limit=..., WHERE ROWNUM <= n) or a join condition, select fewer "
                        "columns, or export it with deslab.query_to_file or as a job")
                if limit is not None and rows >= limit:
                    truncated = truncated or None  # None: not known whether more rows exist
                    break
        finally:
            reader.close()
    data = pa.Table.from_batches(batches, schema=schema)
    meta.update(rows=rows, truncated=bool(truncated), seconds=time.perf_counter() - started,
                limit=limit)
    return to_table(data, _meta.column_lookup(backend, stmt.tables), meta)


def query_to_file(sql: str, path: str | os.PathLike, *, binds: dict | None = None,
                  format: str | None = None, compression: str | None = None,
                  max_file_bytes: int | None = None, timeout: float | None = None,
                  progress: Progress | bool | None = None,
                  catalog: str | Backend | None = None) -> ExportResult:
    """Stream the result of ``sql`` into a file, with memory bounded whatever its size.

    Parameters
    ----------
    sql : str
        One Oracle SQL query.
    path : str or path-like
        Output file; the extension picks the format: ``.fits`` (binary table), ``.h5``/
        ``.hdf5``, ``.csv``, ``.csv.gz``, ``.parquet``, ``.vot``/``.xml`` (VOTable).
    binds : dict, optional
        Values of the ``:name`` bind variables.
    format : str, optional
        ``fits``, ``hdf5``, ``csv``, ``parquet`` or ``votable``, overriding the extension.
    compression : str, optional
        ``gzip`` for CSV; ``gzip``/``lzf`` for HDF5; a Parquet codec (snappy by default).
    max_file_bytes : int, optional
        Split into numbered files (``out-001.fits``, ``out-002.fits``, ...) so that none is
        much larger than this.
    timeout : float, optional
        Seconds before the export is cancelled (default: no limit).
    progress : callable or bool, optional
        ``progress(rows_written, message)`` after each batch; True shows a progress bar.

    Returns
    -------
    ExportResult
        ``paths``, ``rows``, ``bytes``.

    Each file carries its provenance (query, catalog without credentials, time, row count,
    deslab version) in its own metadata. The export is atomic: on any failure, including
    Ctrl-C and SIGTERM, no partial file is left behind.

    Raises
    ------
    ExportError
        Unknown extension or format, an unwritable or full location.
    QueryError, ReadOnlyError, QueryTimeoutError
        As for :func:`query`.
    """
    _check_number("timeout", timeout)
    backend = _backend(catalog)
    stmt = prepare(sql, backend)
    if stmt.explain:
        raise QueryError("EXPLAIN gives a plan, not rows: remove EXPLAIN to export the result")
    values = check_binds(stmt, binds)
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(unit=" rows", desc="export")

        def progress(rows: int, message: str) -> None:
            bar.update(rows - bar.n)
    try:
        return export(backend, stmt, values, path, format=format, compression=compression,
                      max_file_bytes=max_file_bytes, timeout=timeout,
                      progress=progress or None)
    finally:
        if bar is not None:
            bar.close()


def describe_table(name: str, *, catalog: str | Backend | None = None) -> Table:
    """The columns of table ``name``: NAME, TYPE, UNIT, DESCRIPTION.

    An unknown name raises :class:`QueryError` with the closest table names.
    """
    return _meta.describe_table(_backend(catalog), name)


def find_tables(pattern: str = "", *, column: str | None = None,
                catalog: str | Backend | None = None) -> Table:
    """Tables whose name contains ``pattern`` (or matches it with ``%``/``*`` wildcards).

    With ``column``, only the tables having a column whose name contains (or matches) it,
    as easyaccess's ``find_tables_with_column``; ``COLUMNS`` lists the matching columns.

    >>> deslab.find_tables(column="WAVG_SPREAD%")       # doctest: +SKIP
    TABLE_NAME       ROWS  DESCRIPTION  COLUMNS
    DR2_MAIN       100000  ...          WAVG_SPREAD_MODEL_G ... WAVG_SPREADERR_MODEL_Y
    DR2_MAIN_SAMPLE    -1  ...          WAVG_SPREAD_MODEL_G ...
    """
    return _meta.find_tables(_backend(catalog), pattern, column)


def find_tables_with_column(pattern: str, *, catalog: str | Backend | None = None) -> Table:
    """Tables having a column whose name contains ``pattern`` (easyaccess's command)."""
    return find_tables("", column=pattern, catalog=catalog)


def find_columns(pattern: str = "", *, catalog: str | Backend | None = None) -> Table:
    """Columns, in any table, whose name contains ``pattern`` (or matches its wildcards)."""
    return _meta.find_columns(_backend(catalog), pattern)


__all__ = ["ExportResult", "check", "describe_table", "explain", "find_columns", "find_tables",
           "find_tables_with_column", "prepare", "query", "query_to_file"]

"""What every catalog backend provides."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa

from deslab.catalog.dialect import Statement
from deslab.catalog.url import CatalogURL
from deslab.errors import QueryTimeoutError


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a catalog table."""

    table: str
    name: str
    type: str
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class TableInfo:
    """One catalog table (or view)."""

    name: str
    description: str = ""
    rows: int | None = None


class Backend(ABC):
    """A read-only connection to a catalog.

    Attributes
    ----------
    url : CatalogURL
        Where the catalog is (``str(url)`` is safe to show: it has no password).
    """

    name: str = "backend"
    url: CatalogURL

    # -- running queries -------------------------------------------------------------
    @abstractmethod
    def stream(self, stmt: Statement, binds: dict, batch_rows: int) -> pa.RecordBatchReader:
        """Run the query and return its result as a stream of Arrow record batches."""

    @abstractmethod
    def explain(self, stmt: Statement, binds: dict) -> str:
        """The execution plan of the query, as text."""

    @abstractmethod
    def string_widths(self, stmt: Statement, binds: dict, columns: list[str]) -> dict[str, int]:
        """The longest value, in bytes (UTF-8), of each named string column of the result."""

    @abstractmethod
    def interrupt(self, owner: int | None = None) -> None:
        """Cancel running statements from any thread; the backend stays usable.

        Parameters
        ----------
        owner : int, optional
            Only the statements started by this thread (``threading.get_ident()``); a
            timeout uses it so that it never stops another query. None cancels all.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    # -- metadata -------------------------------------------------------------------------
    @abstractmethod
    def tables(self) -> list[TableInfo]:
        """The tables and views a user can query."""

    @abstractmethod
    def columns(self, table: str | None = None) -> list[ColumnInfo]:
        """The columns of one table (or of all tables when ``table`` is None)."""

    def translate(self, stmt: Statement) -> str:
        """The SQL as this backend runs it (Oracle: unchanged)."""
        return stmt.sql

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    # -- timeouts ----------------------------------------------------------------------
    @contextmanager
    def deadline(self, timeout: float | None) -> Iterator[threading.Event]:
        """Interrupt the statements this thread runs if the block lasts more than ``timeout``
        seconds.

        A timer thread calls :meth:`interrupt` for the statements started by the thread that
        entered the block (other threads' queries on the same backend go on); when it has
        fired, the error raised inside the block (whatever the database said) becomes a
        :class:`QueryTimeoutError`. :meth:`statement_timeout` tells a backend the limit while
        the block runs (Oracle sets it as the connection's ``call_timeout``).
        """
        fired = threading.Event()
        if not timeout or timeout <= 0:
            yield fired
            return
        owner = threading.get_ident()

        def fire() -> None:
            fired.set()
            self.interrupt(owner)

        timer = threading.Timer(timeout, fire)
        timer.daemon = True
        timer.start()
        local = self._deadline_local()
        previous = getattr(local, "timeout", None)
        local.timeout = timeout
        try:
            yield fired
        except Exception as exc:
            if fired.is_set():
                raise QueryTimeoutError(
                    f"the query ran longer than its timeout of {timeout:g} s and was "
                    "cancelled on the server; add a tighter WHERE clause or a row cap, raise "
                    "timeout=..., or submit it as a job (deslab.submit_query)"
                ) from None
            raise exc
        finally:
            timer.cancel()
            local.timeout = previous

    def _deadline_local(self) -> threading.local:
        local = self.__dict__.get("_deadlines")
        if local is None:
            local = self.__dict__.setdefault("_deadlines", threading.local())
        return local

    def statement_timeout(self) -> float | None:
        """The timeout of the :meth:`deadline` block this thread is in (None outside)."""
        return getattr(self._deadline_local(), "timeout", None)


class ClosingReader:
    """An Arrow batch stream that releases its statement's resources when exhausted, closed
    or failed, and turns database errors met while streaming into DESlab errors.

    Parameters
    ----------
    reader : pyarrow.RecordBatchReader
        The database's stream.
    release : callable
        ``release(failed)``: give the cursor or connection back (``failed`` after an error).
    error : callable
        Exception -> the DESlab exception to raise instead (None: raise it as it is).
    interrupt : callable
        Cancels this stream's statement only.
    """

    def __init__(self, reader: pa.RecordBatchReader, release: Callable[[bool], None],
                 error: Callable[[Exception], Exception | None],
                 interrupt: Callable[[], None]) -> None:
        self._reader = reader
        self._release: Callable[[bool], None] | None = release
        self._error = error
        self._interrupt = interrupt
        self.schema: pa.Schema = reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        failed = True
        try:
            while True:
                try:
                    batch = self._reader.read_next_batch()
                except StopIteration:
                    failed = False
                    return
                except Exception as exc:
                    mapped = self._error(exc)
                    if mapped is None:
                        raise
                    raise mapped from None
                yield batch
        finally:
            self.close(failed)

    def interrupt(self) -> None:
        """Stop this stream's statement (from any thread); other queries go on."""
        try:
            self._interrupt()
        except Exception:  # a statement that already ended cannot be interrupted
            pass

    def close(self, failed: bool = False) -> None:
        """Release the statement's cursor or connection (once)."""
        if self._release is not None:
            release, self._release = self._release, None
            release(failed)

    def __enter__(self) -> ClosingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(exc[0] is not None)

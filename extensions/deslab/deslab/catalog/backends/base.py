"""What every catalog backend provides."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
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
    def interrupt(self) -> None:
        """Cancel the statement running now (from any thread); the connection stays usable."""

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
        """Interrupt the running statement if the block lasts more than ``timeout`` seconds.

        A timer thread calls :meth:`interrupt`; when it has fired, the error raised inside the
        block (whatever the database said) becomes a :class:`QueryTimeoutError`.
        """
        fired = threading.Event()
        if not timeout or timeout <= 0:
            yield fired
            return

        def fire() -> None:
            fired.set()
            self.interrupt()

        timer = threading.Timer(timeout, fire)
        timer.daemon = True
        timer.start()
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

"""What every streaming file writer provides, and the provenance each file carries."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pyarrow as pa


@dataclass
class Provenance:
    """Where a file's rows came from; written into each file's own metadata.

    Attributes
    ----------
    query : str
        The SQL as the user wrote it.
    catalog : str
        The catalog URL, without credentials.
    created : str
        UTC time the export started (ISO 8601).
    deslab_version : str
        Version of the ``deslab`` package that wrote the file.
    rows : int
        Rows in this file (set when the file is finished).
    part, parts : int
        This file's number and how many files the export wrote (1 and 1 unless split).
    """

    query: str
    catalog: str
    created: str
    deslab_version: str
    rows: int = 0
    part: int = 1
    total_rows: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def items(self) -> list[tuple[str, str]]:
        """(key, value) pairs, values as text."""
        pairs = [
            ("query", self.query),
            ("catalog", self.catalog),
            ("created", self.created),
            ("rows", str(self.rows)),
            ("part", str(self.part)),
            ("deslab_version", self.deslab_version),
        ]
        return pairs + sorted(self.extra.items())


class Writer(ABC):
    """A file written batch by batch: open, :meth:`write` any number of batches, :meth:`close`.

    Parameters
    ----------
    path : Path
        The (temporary) file to write.
    schema : pyarrow.Schema
        Schema of every batch.
    provenance : Provenance
        Written into the file's metadata (its ``rows`` is kept up to date by the writer).
    column_meta : dict
        Column name (upper case) -> object with ``unit`` and ``description``.
    string_widths : dict
        Widest value, in bytes, of each string column over the whole result.
    compression : str or None
        Format-specific compression (``gzip`` for CSV/HDF5, a Parquet codec...).
    """

    #: the writer needs :attr:`string_widths` measured before the first batch
    needs_string_widths = False
    #: the format this class writes, as astropy's I/O registry names a format: its name, the
    #: other names ``format=`` accepts, its file extensions (extension -> the compression it
    #: implies) and the compressions it writes (None: uncompressed); the registry in
    #: :mod:`deslab.catalog.writers` is built from these, and the job contract agrees (tested)
    format_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[dict[str, str | None]] = {}
    compressions: ClassVar[tuple[str | None, ...]] = (None,)

    def __init__(self, path: Path, schema: pa.Schema, provenance: Provenance,
                 column_meta: dict, string_widths: dict[str, int],
                 compression: str | None = None) -> None:
        self.path = Path(path)
        self.schema = schema
        self.provenance = provenance
        self.column_meta = column_meta
        self.string_widths = string_widths
        self.compression = compression
        self.rows = 0

    @abstractmethod
    def write(self, batch: pa.RecordBatch) -> None:
        """Append the rows of one batch."""

    @abstractmethod
    def close(self) -> None:
        """Finish the file (write trailers, patch headers, flush); it is complete after this."""

    @abstractmethod
    def abort(self) -> None:
        """Release the file handle without finishing the file (it will be deleted)."""

    @property
    @abstractmethod
    def bytes_written(self) -> int:
        """The file's size so far (approximately, for compressed output)."""

    def estimate_bytes(self, batch: pa.RecordBatch) -> int:
        """How much ``batch`` will add to the file (used to split before the size limit)."""
        return batch.nbytes


class AsciiTableWriter(Writer):
    """A writer of one binary file handle with ASCII column plans (FITS, VOTable).

    Sets :attr:`plans` (from :func:`~deslab.catalog.writers.columns.plan_columns`, ASCII
    only) and opens :attr:`path` for writing as ``_fh``; :meth:`abort` closes it.
    """

    needs_string_widths = True

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        from deslab.catalog.writers.columns import plan_columns

        super().__init__(path, schema, *args, **kwargs)
        self.plans = plan_columns(schema, self.string_widths, self.column_meta,
                                  ascii_only=True)
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()/abort()

    def abort(self) -> None:
        try:
            self._fh.close()
        except OSError:
            pass

"""CSV and ECSV (optionally gzip) through pyarrow's CSV writer.

Rows are formatted (and, for ``.gz``, compressed as independent gzip members, which gzip
readers concatenate) on a small thread pool, in order, since number formatting is the cost
of CSV; the pool's queue is bounded, so memory stays bounded.

``.csv`` is plain CSV: one header row of column names, then the rows (RFC 4180 quoting, ``\n``
line ends, empty fields for NULL), which pandas, astropy, DuckDB, TOPCAT, the ``csv`` module
and spreadsheets read with their default arguments. It carries no metadata.

``.ecsv`` is astropy's ECSV: a header of ``#`` lines (``# %ECSV 1.0`` and YAML) with column
types, units, descriptions and the provenance (query, catalog, time, deslab version, row
count), then the same CSV; ``Table.read(path)`` reads everything back. The row count is only
known at the end: uncompressed, it is patched in place (the header reserves room for it);
gzip-compressed, the header is written as its own gzip member in front of the data member
when the file is finished.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from astropy.table import Column, Table

from deslab.catalog.writers.base import Writer
from deslab.catalog.writers.columns import describe_column, numpy_dtype

ROWS_SLOT = "999999999999999999"  # placeholder as wide as any row count
GZIP_LEVEL = 3  # much faster than 6 and 10% larger
THREADS = max(1, min(4, os.cpu_count() or 1))
_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _format(batch: pa.RecordBatch, compress: bool) -> pa.Buffer | bytes:
    """One batch as CSV text (pyarrow releases the GIL while formatting), maybe gzipped.

    The text stays in Arrow's buffer (files take it as is): no copy into Python bytes.
    """
    buf = pa.BufferOutputStream()
    pacsv.write_csv(batch, buf, write_options=_OPTIONS)
    data = buf.getvalue()
    if compress:
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: gzip container
        return z.compress(data) + z.flush()
    return data


def _empty_column(field: pa.Field, info) -> Column:
    t = field.type
    if pa.types.is_decimal(t):
        t = pa.float64()
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        dtype = numpy_dtype(t)
    else:
        dtype = np.dtype(str)
    col = Column(np.zeros(0, dtype=dtype), name=field.name)
    describe_column(col, getattr(info, "unit", ""), getattr(info, "description", ""))
    return col


def header_row(names: list[str]) -> bytes:
    """The CSV header line (quoted like pyarrow quotes values: only when needed)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(names)
    return buf.getvalue().encode("utf-8")


class CsvWriter(Writer):
    """Streaming plain CSV writer (``compression="gzip"`` for ``.csv.gz``)."""

    #: write astropy's ECSV header (types, units, descriptions, provenance) in front
    ecsv = False

    format_name = "csv"
    aliases = ("csv.gz",)
    extensions = {".csv": None, ".csv.gz": "gzip"}
    compressions = (None, "gzip")

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self._gzip = self.compression == "gzip"
        self._body_path = self.path.with_name(self.path.name + ".body") \
            if self._gzip and self.ecsv else self.path
        self._raw = open(self._body_path, "wb")  # noqa: SIM115 - closed in close()/abort()
        if not self.ecsv:
            row = header_row([f.name for f in schema])
            self._raw.write(gzip.compress(row, compresslevel=GZIP_LEVEL) if self._gzip
                            else row)
        elif not self._gzip:
            self._header_len = len(self._header(ROWS_SLOT))
            self._raw.write(self._header(ROWS_SLOT))
        self._bools = [i for i, f in enumerate(schema) if pa.types.is_boolean(f.type)]
        self._csv_schema = pa.schema([f.with_type(pa.string()) if i in self._bools else f
                                      for i, f in enumerate(schema)])
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="deslab-csv")
        self._queue: deque[Future] = deque()

    def _header(self, rows: str) -> bytes:
        empty = Table([_empty_column(f, self.column_meta.get(f.name.upper()))
                       for f in self.schema])
        prov = dict(self.provenance.items())
        prov["rows"] = int(ROWS_SLOT)
        prov["part"] = int(prov["part"])
        empty.meta.update(prov)
        buf = io.StringIO()
        empty.write(buf, format="ascii.ecsv", delimiter=",")
        text = buf.getvalue().replace(ROWS_SLOT, rows.ljust(len(ROWS_SLOT)))
        return text.encode("utf-8")

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            if self._bools:
                cols = list(batch.columns)
                for i in self._bools:  # as ECSV (and pandas, DuckDB) spell booleans
                    cols[i] = pc.if_else(cols[i], "True", "False")
                batch = pa.RecordBatch.from_arrays(cols, schema=self._csv_schema)
            step = max(1, -(-batch.num_rows // THREADS))
            for start in range(0, batch.num_rows, step):
                self._queue.append(self._pool.submit(_format, batch.slice(start, step),
                                                     self._gzip))
            while len(self._queue) > 2 * THREADS:
                self._raw.write(self._queue.popleft().result())
            self.rows += batch.num_rows

    @property
    def bytes_written(self) -> int:
        return self._raw.tell()

    def estimate_bytes(self, batch: pa.RecordBatch) -> int:
        # text is about 2x the binary size; gzip about 1/3 of that
        factor = 0.7 if self._gzip else 2.0
        return int(batch.nbytes * factor)

    def close(self) -> None:
        self.provenance.rows = self.rows
        while self._queue:
            self._raw.write(self._queue.popleft().result())
        self._pool.shutdown()
        self._raw.close()
        if not self.ecsv:
            return
        header = self._header(str(self.rows))
        if self._gzip:
            with open(self.path, "wb") as out:
                out.write(gzip.compress(header, compresslevel=6))
                with open(self._body_path, "rb") as body:
                    shutil.copyfileobj(body, out, 1 << 22)
            self._body_path.unlink()
        else:
            if len(header) != self._header_len:
                raise RuntimeError("CSV header changed size")
            with open(self.path, "r+b") as fh:
                fh.write(header)

    def abort(self) -> None:
        for fut in self._queue:
            fut.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self._raw.close()
        except OSError:  # the half-written file is deleted next
            pass
        if self._gzip and self.ecsv:
            self._body_path.unlink(missing_ok=True)


class EcsvWriter(CsvWriter):
    """Streaming ECSV writer (``compression="gzip"`` for ``.ecsv.gz``)."""

    ecsv = True
    format_name = "ecsv"
    aliases = ("ecsv.gz",)
    extensions = {".ecsv": None, ".ecsv.gz": "gzip"}
    compressions = (None, "gzip")

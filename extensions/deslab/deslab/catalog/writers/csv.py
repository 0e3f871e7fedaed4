"""CSV (optionally gzip) through pyarrow's CSV writer, with an ECSV header.

The header is astropy's ECSV (``# %ECSV 1.0`` and YAML in ``#`` lines): column types, units,
descriptions and the provenance (query, catalog, time, deslab version, row count). Plain CSV
readers skip it with ``comment="#"`` (pandas); ``Table.read(path, format="ascii.ecsv")``
reads everything back. The row count is only known at the end: uncompressed, it is patched in
place (the header reserves room for it); gzip-compressed, the header is written as its own
gzip member in front of the data member when the file is finished.
"""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from astropy.table import Column, Table

from deslab.catalog.writers.base import Writer
from deslab.catalog.writers.columns import numpy_dtype

ROWS_SLOT = "999999999999999999"  # placeholder as wide as any row count
GZIP_LEVEL = 3  # much faster than 6 and 10% larger


def _empty_column(field: pa.Field, info) -> Column:
    t = field.type
    if pa.types.is_decimal(t):
        t = pa.float64()
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        dtype = numpy_dtype(t)
    else:
        dtype = np.dtype(str)
    col = Column(np.zeros(0, dtype=dtype), name=field.name)
    if getattr(info, "unit", ""):
        try:
            col.unit = info.unit
        except ValueError:
            pass
    if getattr(info, "description", ""):
        col.description = info.description
    return col


class CsvWriter(Writer):
    """Streaming CSV writer (``compression="gzip"`` for ``.csv.gz``)."""

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self._gzip = self.compression == "gzip"
        self._body_path = self.path.with_name(self.path.name + ".body") if self._gzip \
            else self.path
        if self._gzip:
            self._raw = open(self._body_path, "wb")  # noqa: SIM115 - closed in close()/abort()
            self._sink = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=GZIP_LEVEL)
        else:
            self._raw = pa.OSFile(str(self._body_path), "wb")
            self._sink = self._raw
            self._header_len = len(self._header(ROWS_SLOT))
            self._sink.write(self._header(ROWS_SLOT))
        self._bools = [i for i, f in enumerate(schema) if pa.types.is_boolean(f.type)]
        self._csv_schema = pa.schema([f.with_type(pa.string()) if i in self._bools else f
                                      for i, f in enumerate(schema)])
        self._writer = pacsv.CSVWriter(
            self._sink, self._csv_schema,
            write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
        )

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
                for i in self._bools:  # ECSV spells booleans True/False
                    cols[i] = pc.if_else(cols[i], "True", "False")
                batch = pa.RecordBatch.from_arrays(cols, schema=self._csv_schema)
            self._writer.write_batch(batch)
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
        self._writer.close()
        self._sink.close()
        if not self._raw.closed:
            self._raw.close()
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
        for closer in (self._sink, self._raw):
            try:
                closer.close()
            except Exception:  # the half-written file is deleted next
                pass
        if self._gzip:
            self._body_path.unlink(missing_ok=True)

"""Parquet through pyarrow's ParquetWriter: Arrow batches straight to row groups."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from deslab.catalog.writers.base import Writer
from deslab.catalog.writers.columns import astropy_column, astropy_header, numpy_dtype

ROW_GROUP_ROWS = 1 << 18  # ~60 MB of a 46-column result: bounded memory


def astropy_yaml(schema: pa.Schema, column_meta: dict, provenance) -> str:
    """astropy's ``table_meta_yaml`` (units, descriptions, provenance for ``Table.read``)."""
    cols = []
    for f in schema:
        t = f.type
        numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
        info = column_meta.get(f.name.upper())
        cols.append(astropy_column(f.name, numpy_dtype(t).name if numeric else "string",
                                   getattr(info, "unit", ""), getattr(info, "description", "")))
    meta = {k: v for k, v in provenance.items() if k != "rows"}
    return "\n".join(astropy_header(cols, meta))


def annotate(schema: pa.Schema, column_meta: dict) -> pa.Schema:
    """The schema with each field's unit and description in its Arrow field metadata."""
    fields = []
    for f in schema:
        info = column_meta.get(f.name.upper())
        md = {}
        if getattr(info, "unit", ""):
            md[b"unit"] = info.unit.encode()
        if getattr(info, "description", ""):
            md[b"description"] = info.description.encode()
        fields.append(f.with_metadata(md) if md else f)
    return pa.schema(fields, metadata=schema.metadata)


class ParquetWriter(Writer):
    """Streaming Parquet writer (row groups of up to 256k rows; codec from ``compression``,
    snappy by default). Provenance is in the file's key-value metadata under ``deslab.*``."""

    format_name = "parquet"
    aliases = ("pq",)
    extensions = {".parquet": None, ".pq": None}
    compressions = (None, "snappy", "zstd", "gzip", "brotli", "lz4", "none")

    #: astropy's Parquet reader wants the width of string columns (``table::len::NAME``)
    needs_string_widths = True

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self.schema = annotate(schema, self.column_meta)
        lengths = {f"table::len::{name}".encode(): str(max(int(w), 1)).encode()
                   for name, w in self.string_widths.items()}
        self.schema = self.schema.with_metadata({
            **(self.schema.metadata or {}),
            **lengths,
            b"table_meta_yaml": astropy_yaml(schema, self.column_meta, self.provenance).encode(),
        })
        # dictionary-encode strings only: trying dictionaries on float columns costs 5x the
        # CPU of the whole write and makes the file larger
        strings = [f.name for f in schema
                   if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                   or pa.types.is_binary(f.type)]
        self._writer = pq.ParquetWriter(
            str(self.path), self.schema, compression=self.compression or "snappy",
            use_dictionary=strings or False,
        )
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._flushed_bytes = 0

    def _flush(self) -> None:
        if self._pending:
            raw = pa.Table.from_batches(self._pending)
            # same columns, annotated schema: no copy
            table = pa.Table.from_arrays(raw.columns, schema=self.schema)
            self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self._flushed_bytes += table.nbytes
            self._pending, self._pending_rows = [], 0

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self.rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    @property
    def bytes_written(self) -> int:
        # compressed size is only known at the end; the Arrow size is a safe upper bound
        return self._flushed_bytes + sum(b.nbytes for b in self._pending)

    def close(self) -> None:
        self._flush()
        self.provenance.rows = self.rows
        md = {f"deslab.{k}": v for k, v in self.provenance.items()}
        md["deslab.provenance"] = json.dumps(dict(self.provenance.items()))
        self._writer.add_key_value_metadata(md)
        self._writer.close()

    def abort(self) -> None:
        try:
            self._writer.close()
        except Exception:  # the half-written file is deleted next
            pass

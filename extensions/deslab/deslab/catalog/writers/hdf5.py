"""HDF5: one compound dataset ``data``, chunked and resizable, grown batch by batch.

The layout is the one astropy writes (``Table.read(path, path="data")`` reads it back with
units and descriptions, from the ``data.__table_column_meta__`` dataset); h5py and pandas
users find the provenance as attributes of ``data``.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa

from deslab.catalog.writers.base import Writer
from deslab.catalog.writers.columns import (
    astropy_column,
    astropy_header,
    plan_columns,
    plan_datatype,
    to_numpy,
)

DATASET = "data"
CHUNK_ROWS = 65536


class Hdf5Writer(Writer):
    """Streaming HDF5 writer (compound dataset, chunks of 65536 rows, optional gzip/lzf)."""

    format_name = "hdf5"
    aliases = ("h5", "hdf")
    extensions = {".h5": None, ".hdf5": None, ".hdf": None}
    compressions = (None, "gzip", "lzf")

    needs_string_widths = True

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self.plans = plan_columns(schema, self.string_widths, self.column_meta)
        names = [p.name for p in self.plans]
        self.dtype = np.dtype([(p.name, p.dtype) for p in self.plans])
        self._file = h5py.File(self.path, "w")
        comp = self.compression
        opts = {}
        if comp in ("gzip", "lzf"):
            opts["compression"] = comp
            opts["shuffle"] = True
        self._ds = self._file.create_dataset(
            DATASET, shape=(0,), maxshape=(None,), dtype=self.dtype,
            chunks=(CHUNK_ROWS,), **opts,
        )
        self._names = names

    def write(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if not n:
            return
        rec = np.empty(n, dtype=self.dtype)
        for i, p in enumerate(self.plans):
            values, _mask = to_numpy(batch.column(i), p)
            rec[p.name] = values
        start = self.rows
        self._ds.resize((start + n,))
        self._ds[start:start + n] = rec
        self.rows += n

    def estimate_bytes(self, batch: pa.RecordBatch) -> int:
        return batch.num_rows * self.dtype.itemsize

    @property
    def bytes_written(self) -> int:
        return self.rows * self.dtype.itemsize

    def _astropy_meta(self) -> np.ndarray:
        columns = [astropy_column(p.name, plan_datatype(p), p.unit, p.description,
                                  {"null_value": p.null} if p.kind == "i" and p.had_nulls
                                  else None)
                   for p in self.plans]
        lines = astropy_header(columns, dict(self.provenance.items()))
        return np.array([line.encode("utf-8") for line in lines])

    def close(self) -> None:
        self.provenance.rows = self.rows
        for key, value in self.provenance.items():
            self._ds.attrs[key] = value
        for p in self.plans:
            if p.unit:
                self._ds.attrs[f"{p.name}_unit"] = p.unit
        self._file.create_dataset(f"{DATASET}.__table_column_meta__", data=self._astropy_meta())
        self._file.close()

    def abort(self) -> None:
        try:
            self._file.close()
        except Exception:  # h5py raises various errors on a broken file; it is deleted next
            pass

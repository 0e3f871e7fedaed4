"""FITS binary table, written as a stream: header, then rows, then NAXIS2 patched at the end.

The rows of each Arrow batch are packed into one big-endian record array and written at once,
so the cost is one pass over the data; no astropy table is ever built. The header is sized at
the start with room for the keywords only known at the end (row count, TNULLn of integer
columns that turned out to hold nulls) and rewritten in place when the file is closed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
from astropy.io import fits

from deslab.catalog.writers.base import AsciiTableWriter
from deslab.catalog.writers.columns import ColumnPlan, to_numpy

BLOCK = 2880
CARD = 80
_TFORM = {"f4": "E", "f8": "D", "i2": "I", "i4": "J", "i8": "K", "u1": "B", "b1": "L"}


def _ascii(text: str) -> str:
    """FITS header values are printable ASCII on one line."""
    text = " ".join(str(text).split())
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _card(key: str, value, comment: str | None = None) -> str:
    """One header card (several for a long string: the CONTINUE convention), as text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy notes the HIERARCH and CONTINUE it uses
        return fits.Card(key, value, comment).image


def _tform(p: ColumnPlan) -> str:
    if p.kind == "s":
        return f"{p.width}A"
    if p.kind == "b":
        return "L"
    return _TFORM[p.dtype.str.lstrip("<>=|")]


class FitsWriter(AsciiTableWriter):
    """Streaming FITS binary-table writer (primary HDU + one BINTABLE extension ``RESULT``)."""

    format_name = "fits"
    aliases = ("fit",)
    extensions = {".fits": None, ".fit": None, ".fts": None}

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self.disk_dtype = np.dtype(
            [(f"c{i}", "u1" if p.kind == "b" else p.dtype.newbyteorder(">") if p.kind != "s"
              else p.dtype) for i, p in enumerate(self.plans)]
        )
        self.row_bytes = self.disk_dtype.itemsize
        self._static: tuple | None = None
        self._fh.write(self._primary())
        self._header_at = self._fh.tell()
        reserve = self._header(rows=2**62, all_nulls=True)
        self._header_blocks = -(-(len(reserve) + 8 * CARD) // BLOCK)
        self._fh.write(self._pad_header(self._header(rows=0, all_nulls=False)))
        self._data_at = self._fh.tell()

    # -- headers ----------------------------------------------------------------------
    def _primary(self) -> bytes:
        h = fits.Header()
        h["SIMPLE"] = True
        h["BITPIX"] = 8
        h["NAXIS"] = 0
        h["EXTEND"] = True
        h["ORIGIN"] = ("DESlab", "written by deslab.query_to_file")
        h["DATE"] = (self.provenance.created[:19], "UTC time the export started")
        return h.tostring().encode("ascii")

    def _header(self, rows: int, all_nulls: bool) -> bytes:
        """The table header's cards (no END): the row count and the TNULLn of integer columns
        that held nulls change between calls; every other card is formatted once."""
        if self._static is None:
            self._static = self._static_cards()
        head, columns, tail_before, tail_after = self._static
        out = [head[0], _card("NAXIS2", rows, "number of rows"), head[1]]
        for i, (p, before, after) in enumerate(columns, start=1):
            out.append(before)
            if p.kind in ("i", "u") and (all_nulls or p.had_nulls):
                out.append(_card(f"TNULL{i}", p.null))
            out.append(after)
        out += [tail_before, _card("DESROWS", rows, "rows in this file"), tail_after]
        return "".join(out).encode("ascii")

    def _static_cards(self) -> tuple[list[str], list[tuple[ColumnPlan, str, str]], str, str]:
        head = [
            _card("XTENSION", "BINTABLE", "binary table extension") + _card("BITPIX", 8)
            + _card("NAXIS", 2) + _card("NAXIS1", self.row_bytes, "bytes per row"),
            _card("PCOUNT", 0) + _card("GCOUNT", 1) + _card("TFIELDS", len(self.plans)),
        ]
        columns = []
        for i, p in enumerate(self.plans, start=1):
            before = _card(f"TTYPE{i}", _ascii(p.name)) + _card(f"TFORM{i}", _tform(p))
            if p.unit:
                before += _card(f"TUNIT{i}", _ascii(p.unit))
            after = _card(f"TCOMM{i}", _ascii(p.description)[:68]) if p.description else ""
            columns.append((p, before, after))
        prov = self.provenance
        tail_before = (
            _card("EXTNAME", "RESULT")
            + _card("LONGSTRN", "OGIP 1.0", "long strings use the CONTINUE convention")
            + _card("ORIGIN", "DESlab")
            + _card("DATE", prov.created[:19], "UTC time the export started")
            + _card("DESVERS", prov.deslab_version, "deslab version")
        )
        tail_after = (
            _card("DESPART", prov.part, "file number of a split export")
            + _card("DESCATLG", _ascii(prov.catalog), "catalog (no credentials)")
            + "".join(_card(f"HIERARCH DES {key.upper()}", _ascii(value))
                      for key, value in prov.extra.items())
            + _card("DESQUERY", _ascii(prov.query))  # long-string convention (CONTINUE)
        )
        return head, columns, tail_before, tail_after

    def _pad_header(self, cards: bytes) -> bytes:
        size = self._header_blocks * BLOCK
        end = b"END".ljust(CARD)
        body = cards + b" " * (size - len(cards) - CARD)
        if len(body) + CARD > size or len(cards) % CARD:
            raise RuntimeError("FITS header outgrew its reserved space")
        return body + end

    # -- rows -------------------------------------------------------------------------
    def write(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if not n:
            return
        rec = np.empty(n, dtype=self.disk_dtype)
        for i, p in enumerate(self.plans):
            values, mask = to_numpy(batch.column(i), p)
            if p.kind == "b":
                col = np.where(values, np.uint8(84), np.uint8(70))  # 'T' / 'F'
                if mask is not None:
                    col[mask] = 0
                rec[f"c{i}"] = col
            else:
                rec[f"c{i}"] = values
        self._fh.write(rec.data)
        self.rows += n

    def estimate_bytes(self, batch: pa.RecordBatch) -> int:
        return batch.num_rows * self.row_bytes

    @property
    def bytes_written(self) -> int:
        return self._data_at + self.rows * self.row_bytes

    def close(self) -> None:
        data = self.rows * self.row_bytes
        pad = (-data) % BLOCK
        if pad:
            self._fh.write(b"\0" * pad)
        self.provenance.rows = self.rows
        self._fh.seek(self._header_at)
        self._fh.write(self._pad_header(self._header(rows=self.rows, all_nulls=False)))
        self._fh.flush()
        self._fh.close()

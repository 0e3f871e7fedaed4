"""VOTable 1.4 with a BINARY2 stream: big-endian rows with a null bitmap, base64-encoded as
they are produced (no XML element per cell, so it streams at binary speed)."""

from __future__ import annotations

import base64
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa

from deslab.catalog.writers.base import AsciiTableWriter
from deslab.catalog.writers.columns import ColumnPlan, to_numpy

_DATATYPE = {"f4": "float", "f8": "double", "i2": "short", "i4": "int", "i8": "long",
             "u1": "unsignedByte"}


def _datatype(p: ColumnPlan) -> str:
    if p.kind == "s":
        return f'datatype="char" arraysize="{p.width}"'
    if p.kind == "b":
        return 'datatype="boolean"'
    return f'datatype="{_DATATYPE[p.dtype.str.lstrip("<>=|")]}"'


class VOTableWriter(AsciiTableWriter):
    """Streaming VOTable (BINARY2) writer."""

    format_name = "votable"
    aliases = ("vot",)
    extensions = {".vot": None, ".vot.xml": None, ".votable": None, ".xml": None}

    def __init__(self, path: Path, schema: pa.Schema, *args, **kwargs) -> None:
        super().__init__(path, schema, *args, **kwargs)
        self.mask_bytes = -(-len(self.plans) // 8)
        fields = [("nulls", "u1", (self.mask_bytes,))]
        for i, p in enumerate(self.plans):
            if p.kind in ("s", "b"):
                fields.append((f"c{i}", "S1" if p.kind == "b" else p.dtype))
            else:
                fields.append((f"c{i}", p.dtype.newbyteorder(">")))
        self.row_dtype = np.dtype(fields)
        self._carry = b""
        self._fh.write(self._head().encode("utf-8"))

    def _head(self) -> str:
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
            ' <RESOURCE type="results">',
            '  <INFO name="QUERY_STATUS" value="OK"/>',
        ]
        for key, value in self.provenance.items():
            if key != "rows":
                out.append(f"  <INFO name={quoteattr('deslab.' + key)} value={quoteattr(value)}/>")
        out.append('  <TABLE name="result">')
        for p in self.plans:
            unit = f" unit={quoteattr(p.unit)}" if p.unit else ""
            null = ""
            if p.kind in ("i", "u"):
                null = f'<VALUES null="{p.null}"/>'
            desc = f"<DESCRIPTION>{escape(p.description)}</DESCRIPTION>" if p.description else ""
            out.append(f"   <FIELD name={quoteattr(p.name)} {_datatype(p)}{unit}>"
                       f"{desc}{null}</FIELD>")
        out.append('   <DATA><BINARY2><STREAM encoding="base64">')
        return "\n".join(out) + "\n"

    def write(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if not n:
            return
        rec = np.zeros(n, dtype=self.row_dtype)
        nulls = None
        for i, p in enumerate(self.plans):
            values, mask = to_numpy(batch.column(i), p)
            if p.kind == "b":
                values = np.where(values, b"T", b"F")
                if mask is not None:
                    values[mask] = b"?"
            rec[f"c{i}"] = values
            if mask is not None:
                if nulls is None:
                    nulls = np.zeros((n, self.mask_bytes * 8), dtype=bool)
                nulls[:, i] = mask
        if nulls is not None:
            rec["nulls"] = np.packbits(nulls, axis=1)
        raw = self._carry + rec.tobytes()
        cut = len(raw) - len(raw) % 3
        self._carry = raw[cut:]
        self._fh.write(base64.b64encode(raw[:cut]))
        self._fh.write(b"\n")
        self.rows += n

    def estimate_bytes(self, batch: pa.RecordBatch) -> int:
        return batch.num_rows * self.row_dtype.itemsize * 4 // 3 + 2

    @property
    def bytes_written(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self.provenance.rows = self.rows
        if self._carry:
            self._fh.write(base64.b64encode(self._carry) + b"\n")
        tail = (
            "   </STREAM></BINARY2></DATA>\n  </TABLE>\n"
            f'  <INFO name="deslab.rows" value="{self.rows}"/>\n </RESOURCE>\n</VOTABLE>\n'
        )
        self._fh.write(tail.encode("utf-8"))
        self._fh.flush()
        self._fh.close()

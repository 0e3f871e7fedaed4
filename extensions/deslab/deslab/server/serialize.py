"""astropy Tables to JSON for the panel's grid (values as JSON scalars, never HTML)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from astropy.table import Table


def column_info(table: Table) -> list[dict[str, Any]]:
    """Name, type, unit and description of each column."""
    out = []
    for name in table.colnames:
        col = table[name]
        out.append({
            "name": name,
            "type": str(col.dtype),
            "unit": str(col.unit) if col.unit is not None else "",
            "description": str(col.description or ""),
        })
    return out


def _scalar(value: Any) -> Any:
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", "replace").rstrip()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").rstrip()
    if isinstance(value, np.ndarray):
        return [_scalar(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_scalar(v) for v in value]
    return str(value)


def column_values(col: Any) -> list[Any]:
    """The values of one column as JSON scalars (masked -> null, NaN/inf -> strings)."""
    mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else None
    data = np.asarray(col)
    values = [_scalar(v) for v in data.tolist()]
    if mask is not None and mask.ndim == 1 and mask.any():
        values = [None if m else v for v, m in zip(values, mask, strict=True)]
    return values


def table_rows(table: Table) -> list[list[Any]]:
    """The rows of ``table`` as lists of JSON scalars."""
    columns = [column_values(table[name]) for name in table.colnames]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def table_records(table: Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as objects keyed by lower-case column name."""
    names = [n.lower() for n in table.colnames]
    return [dict(zip(names, row, strict=True)) for row in table_rows(table)]

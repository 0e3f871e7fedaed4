"""Query results as astropy Tables, with units and descriptions from the catalog."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from astropy import units as u
from astropy.table import Column, MaskedColumn, Table

from deslab.catalog.backends.base import ColumnInfo
from deslab.catalog.writers.columns import arrow_values, null_mask


def _unit(text: str) -> u.UnitBase | None:
    if not text:
        return None
    try:
        return u.Unit(text, parse_strict="silent")
    except (ValueError, TypeError):
        return None


def _to_numpy(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray | None]:
    t = arr.type
    if pa.types.is_decimal(t):
        arr = arr.cast(pa.int64() if t.scale == 0 and t.precision <= 18 else pa.float64())
    elif pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
    arr = arr.combine_chunks()
    mask = null_mask(arr)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or \
            pa.types.is_string_view(arr.type):
        values = np.array(arr.fill_null("").to_pylist() if mask is not None else arr.to_pylist(),
                          dtype=str)
        return values, mask
    if mask is not None and (pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type)):
        arr = arr.fill_null(0 if pa.types.is_integer(arr.type) else False)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or \
            pa.types.is_boolean(arr.type):
        return arrow_values(arr), mask
    return arr.to_numpy(zero_copy_only=False), mask


def to_table(data: pa.Table, columns: dict[str, ColumnInfo], meta: dict) -> Table:
    """An astropy Table from an Arrow table.

    Parameters
    ----------
    data : pyarrow.Table
        The result.
    columns : dict
        Column name (upper case) -> :class:`ColumnInfo` for units and descriptions; result
        columns that match a column of a queried table by name get its unit and description.
    meta : dict
        Goes to ``Table.meta`` (query, catalog, time, row count...).
    """
    cols = []
    seen: dict[str, int] = {}
    for name, arr in zip(data.column_names, data.columns, strict=True):
        key = name.upper()
        if key in seen:
            seen[key] += 1
            name = f"{name}_{seen[key]}"
        else:
            seen[key] = 1
        values, mask = _to_numpy(arr)
        info = columns.get(key)
        kwargs = {"name": name}
        if info is not None:
            kwargs["unit"] = _unit(info.unit)
            kwargs["description"] = info.description or None
        col = MaskedColumn(values, mask=mask, **kwargs) if mask is not None else Column(
            values, **kwargs)
        cols.append(col)
    return Table(cols, meta=meta, copy=False)

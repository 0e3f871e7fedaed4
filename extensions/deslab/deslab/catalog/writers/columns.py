"""Arrow columns as fixed-width numpy arrays, for the formats that store fixed-width rows
(FITS, HDF5, VOTable BINARY2).

A :class:`ColumnPlan` is decided once from the Arrow schema (and, for strings, the widest value
of the whole result), so every batch of the stream turns into rows of the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from deslab.errors import ExportError


@dataclass
class ColumnPlan:
    """How one result column is stored.

    Attributes
    ----------
    name : str
        Column name.
    kind : str
        ``"f"`` float, ``"i"`` signed integer, ``"u"`` unsigned byte, ``"b"`` boolean,
        ``"s"`` string (fixed width, UTF-8 bytes).
    dtype : numpy.dtype
        Native-endian dtype of the stored values.
    width : int
        Bytes per value for strings (1 for other kinds).
    null : int or None
        Value stored for a null integer (the dtype's minimum, 255 for bytes).
    cast : pyarrow.DataType or None
        Arrow type the column is cast to first (decimals to float64, dates to strings...).
    unit, description : str
        From the catalog metadata.
    """

    name: str
    kind: str
    dtype: np.dtype
    width: int = 1
    null: int | None = None
    cast: pa.DataType | None = None
    unit: str = ""
    description: str = ""
    had_nulls: bool = False
    ascii_only: bool = False


def numpy_dtype(t: pa.DataType) -> np.dtype:
    """The numpy dtype of a numeric or boolean Arrow type (without importing pandas)."""
    if pa.types.is_boolean(t):
        return np.dtype(np.bool_)
    return np.dtype(t.bit_width and {
        (True, 16): "f2", (True, 32): "f4", (True, 64): "f8",
    }.get((True, t.bit_width)) if pa.types.is_floating(t) else
        f"{'u' if pa.types.is_unsigned_integer(t) else 'i'}{t.bit_width // 8}")


def arrow_values(arr: pa.Array) -> np.ndarray:
    """The values of a numeric or boolean Arrow array as numpy, read from its buffers.

    Numbers are a zero-copy, read-only view; booleans are unpacked from their bits. Null slots
    hold whatever the buffer holds: fill them first or mask them. Unlike ``Array.to_numpy``,
    this never imports pandas (a quarter of a second in a fresh ``deslab query -o`` process).

    Examples
    --------
    >>> import pyarrow as pa
    >>> arrow_values(pa.array([1.5, 2.5], pa.float32()).slice(1)).tolist()
    [2.5]
    >>> arrow_values(pa.array([True, False, True]).slice(1)).tolist()
    [False, True]
    """
    dtype = numpy_dtype(arr.type)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=dtype)
    buf = arr.buffers()[1]
    if pa.types.is_boolean(arr.type):
        bits = np.frombuffer(buf, dtype=np.uint8)
        return np.unpackbits(bits, bitorder="little")[arr.offset:arr.offset + n].astype(bool)
    return np.frombuffer(buf, dtype=dtype, count=n, offset=arr.offset * dtype.itemsize)


def null_mask(arr: pa.Array) -> np.ndarray | None:
    """A boolean numpy mask of the null slots of ``arr``, or None when it has none."""
    return arrow_values(arr.is_null()) if arr.null_count else None


def plan_columns(schema: pa.Schema, widths: dict[str, int], meta: dict,
                 ascii_only: bool = False) -> list[ColumnPlan]:
    """One :class:`ColumnPlan` per field of ``schema``.

    Parameters
    ----------
    schema : pyarrow.Schema
        The result's schema.
    widths : dict
        Widest value in bytes of each string-like column (at least 1 is used).
    meta : dict
        Column name (upper case) -> object with ``unit`` and ``description``.
    """
    plans = []
    for field in schema:
        t = field.type
        info = meta.get(field.name.upper())
        unit = getattr(info, "unit", "") or ""
        desc = getattr(info, "description", "") or ""
        cast = None
        if pa.types.is_decimal(t):
            if t.scale == 0 and t.precision <= 18:
                cast, t = pa.int64(), pa.int64()
            else:
                cast, t = pa.float64(), pa.float64()
        elif pa.types.is_float16(t):
            cast, t = pa.float32(), pa.float32()
        elif pa.types.is_null(t):
            cast, t = pa.float64(), pa.float64()
        if pa.types.is_floating(t):
            plans.append(ColumnPlan(field.name, "f", numpy_dtype(t), cast=cast,
                                    unit=unit, description=desc))
        elif pa.types.is_boolean(t):
            plans.append(ColumnPlan(field.name, "b", np.dtype(np.bool_), unit=unit,
                                    description=desc))
        elif pa.types.is_uint8(t):
            plans.append(ColumnPlan(field.name, "u", np.dtype(np.uint8), null=255, cast=cast,
                                    unit=unit, description=desc))
        elif pa.types.is_integer(t):
            # FITS has no signed byte and no unsigned 16/32/64: widen to the next signed type
            size = {pa.int8(): 2, pa.int16(): 2, pa.int32(): 4, pa.int64(): 8,
                    pa.uint16(): 4, pa.uint32(): 8, pa.uint64(): 8}[t]
            dtype = np.dtype(f"i{size}")
            if t != pa.from_numpy_dtype(dtype):
                cast = pa.from_numpy_dtype(dtype)
            plans.append(ColumnPlan(field.name, "i", dtype, null=int(np.iinfo(dtype).min),
                                    cast=cast, unit=unit, description=desc))
        elif (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_temporal(t)
              or pa.types.is_binary(t) or pa.types.is_large_binary(t)
              or pa.types.is_string_view(t)):
            w = max(int(widths.get(field.name, 1) or 1), 1)
            plans.append(ColumnPlan(field.name, "s", np.dtype(f"S{w}"), width=w,
                                    cast=None if pa.types.is_string(t) else pa.string(),
                                    unit=unit, description=desc, ascii_only=ascii_only))
        else:
            raise ExportError(
                f"column {field.name} has type {t}, which this format cannot store: cast it "
                "to a number or a string in the query, or export to Parquet"
            )
    return plans


def string_columns(schema: pa.Schema) -> list[str]:
    """Names of the columns stored as fixed-width strings (their widths must be measured)."""
    out = []
    for f in schema:
        t = f.type
        if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_temporal(t)
                or pa.types.is_binary(t) or pa.types.is_large_binary(t)
                or pa.types.is_string_view(t)):
            out.append(f.name)
    return out


def to_numpy(arr: pa.Array | pa.ChunkedArray,
             plan: ColumnPlan) -> tuple[np.ndarray, np.ndarray | None]:
    """The column as a native-endian numpy array of ``plan.dtype``, and its null mask.

    Nulls become NaN (floats), ``plan.null`` (integers), ``False`` (booleans; masked) and empty
    strings.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if plan.cast is not None:
        arr = arr.cast(plan.cast) if not pa.types.is_temporal(arr.type) else pc.cast(
            arr, pa.string())
    mask = null_mask(arr)
    if mask is not None:
        plan.had_nulls = True
    k = plan.kind
    if k == "f":
        if mask is not None:
            arr = arr.fill_null(float("nan"))
        return arrow_values(arr).astype(plan.dtype, copy=False), mask
    if k in ("i", "u"):
        if mask is not None:
            arr = arr.fill_null(plan.null)
        return arrow_values(arr).astype(plan.dtype, copy=False), mask
    if k == "b":
        if mask is not None:
            arr = arr.fill_null(False)
        return arrow_values(arr), mask
    return _fixed_strings(arr, plan), mask


def _fixed_strings(arr: pa.Array, plan: ColumnPlan) -> np.ndarray:
    w = plan.width
    if not (pa.types.is_string(arr.type) or pa.types.is_binary(arr.type)):
        arr = arr.cast(pa.string()) if not pa.types.is_large_binary(arr.type) else arr.cast(
            pa.binary())
    if arr.null_count:
        arr = arr.fill_null("" if pa.types.is_string(arr.type) else b"")
    if plan.ascii_only and pa.types.is_string(arr.type) and not pc.all(
            pc.string_is_ascii(arr)).as_py():
        # FITS and VOTable char columns are ASCII: other characters become '?'
        arr = pa.array([v.encode("ascii", "replace").decode("ascii")
                        for v in arr.to_pylist()], pa.string())
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=plan.dtype)
    lengths = arrow_values(pc.binary_length(arr))
    if lengths.max(initial=0) > w:
        raise ExportError(
            f"column {plan.name} has a value longer than the {w} bytes measured for it; "
            "the catalog changed during the export: run it again"
        )
    if not pa.types.is_binary(arr.type):
        arr = arr.cast(pa.binary())
    # copy the bytes of each value into a zero-filled fixed-width buffer (vectorised)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1, offset=arr.offset * 4)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None \
        else np.zeros(0, dtype=np.uint8)
    out = np.zeros((n, w), dtype=np.uint8)
    starts = offsets[:-1]
    total = int(lengths.sum())
    first = int(lengths[0])
    if first and (lengths == first).all():  # all values the same length: one reshape
        out[:, :first] = data[int(starts[0]):int(starts[0]) + total].reshape(n, first)
    elif total:
        row = np.repeat(np.arange(n), lengths)
        pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[row, pos] = data[np.repeat(starts, lengths) + pos]
    return out.view(plan.dtype).reshape(n)


def describe_column(col, unit: str | None, description: str | None) -> None:
    """Give an astropy column ``unit`` (if astropy understands it) and ``description``."""
    if unit:
        try:
            col.unit = unit
        except ValueError:
            pass
    if description:
        col.description = description


def astropy_column(name: str, datatype: str, unit: str = "", description: str = "",
                   meta: dict | None = None) -> dict:
    """One column entry of :func:`astropy_header` (empty attributes are left out)."""
    col: dict = {"name": name, "datatype": datatype}
    if unit:
        col["unit"] = unit
    if description:
        col["description"] = description
    if meta:
        col["meta"] = meta
    return col


def astropy_header(columns: list[dict], meta: dict) -> list[str]:
    """The YAML header astropy keeps next to a table (HDF5 ``__table_column_meta__``, Parquet
    ``table_meta_yaml``) and reads units, descriptions and the table meta from.

    The same header ``astropy.table.meta.get_yaml_from_table`` writes, built with PyYAML:
    astropy's own writer imports ``astropy.coordinates``, a tenth of a second in a fresh
    process, for tags a catalog export never uses.

    Examples
    --------
    >>> astropy_header([astropy_column("RA", "float64", "deg", "Right ascension")],
    ...                {"rows": "3"})
    ['datatype:', '- {name: RA, datatype: float64, unit: deg, description: Right ascension}', \
"meta: {rows: '3'}"]
    """
    text = yaml.safe_dump({"datatype": columns, "meta": meta}, sort_keys=False,
                          width=1 << 20, default_flow_style=None, allow_unicode=False)
    return text.splitlines()


def plan_datatype(plan: ColumnPlan) -> str:
    """astropy's name for the type a column is stored as (``string`` for text)."""
    return "string" if plan.dtype.kind in "SU" else plan.dtype.name

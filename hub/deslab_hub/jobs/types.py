"""Job types and the validation of their parameters (hub side; no science imports).

A job type is one entry in :data:`JOB_TYPES` here plus one module
``deslab/jobs/tasks/<type>.py`` (with ``run(params, output_dir, progress) -> dict``) on the
worker side. The validator turns a request body into the ``params`` the task receives; it
rejects anything the task could not use, so bad input answers 400 before a worker starts.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deslab_hub.jobs.contract import COMMON, CUTOUT, JOB_TYPE_DESCRIPTIONS, QUERY, query_extensions

# fields every job accepts, handled by the service itself (not passed to the task)
COMMON_FIELDS = tuple(COMMON["fields"])

OUTPUT_NAME = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,%s}$" % (COMMON["output_name_max_chars"] - 1)  # noqa: UP031
)
BIND_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
HOME_CSV = re.compile(CUTOUT["positions_file"]["pattern"])
TYPED_POSITIONS = re.compile(CUTOUT["typed_positions"]["pattern"])
COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

# query result formats (what deslab.query_to_file writes), from the job contract
QUERY_EXTENSIONS = query_extensions()  # (extension, format), longest first
QUERY_FORMATS = {fmt: next(iter(spec["extensions"])) for fmt, spec in QUERY["formats"].items()}
FORMAT_ALIASES = {alias: fmt for fmt, spec in QUERY["formats"].items()
                  for alias in spec["aliases"]}
COMPRESSIONS = {fmt: tuple(spec["compressions"]) for fmt, spec in QUERY["formats"].items()}
MAX_SQL_CHARS: int = QUERY["max_sql_chars"]
MAX_POSITIONS_BYTES: int = CUTOUT["max_positions_bytes"]
MAX_POSITIONS: int = CUTOUT["max_positions"]
CUTOUT_BANDS: str = CUTOUT["bands"]
CUTOUT_DEFAULT_BANDS: str = CUTOUT["default_bands"]  # deslab.cutouts' default


def names_a_file(text: str) -> bool:
    """The contract's rule (``cutout.positions_file``): one line without a comma that is not
    a line of numbers names a CSV file in the owner's home; anything else is the positions
    themselves. The worker reads them with ``deslab.cutouts.positions``, which follows the
    same rule."""
    return ("\n" not in text.strip() and "," not in text
            and not TYPED_POSITIONS.fullmatch(text.strip()))


class ParamError(ValueError):
    """A job parameter is missing or invalid; the message says which and what is allowed."""


@dataclass(frozen=True)
class JobType:
    """A job type: its name, a one-line description and the validator of its parameters."""

    name: str
    description: str
    validate: Callable[[Mapping[str, Any]], dict[str, Any]]
    default_name: Callable[[Mapping[str, Any]], str] = field(default=lambda p: "")
    #: size of a job in this type's work units (cutout: files to cut), or None when the
    #: parameters do not tell; quotes scale the time per unit of earlier jobs by it
    work: Callable[[Mapping[str, Any]], float | None] | None = None


# -- small checkers -----------------------------------------------------------------------


def _unknown(body: Mapping[str, Any], allowed: tuple[str, ...], kind: str) -> None:
    extra = sorted(set(body) - set(allowed) - set(COMMON_FIELDS))
    if extra:
        valid = ", ".join(sorted(set(allowed) | set(COMMON_FIELDS)))
        raise ParamError(
            f"unknown field(s) for a {kind} job: {', '.join(map(repr, extra))[:300]}; "
            f"valid fields: {valid}"
        )


def _string(body: Mapping[str, Any], key: str, *, required: bool = False, max_len: int = 1000,
            default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is None:
        if required:
            raise ParamError(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise ParamError(f"'{key}' must be a string")
    if required and not value.strip():
        raise ParamError(f"'{key}' must not be empty")
    if len(value) > max_len:
        raise ParamError(f"'{key}' is too long ({len(value)} characters; at most {max_len})")
    if "\x00" in value:
        raise ParamError(f"'{key}' contains a NUL character")
    return value


def _number(body: Mapping[str, Any], key: str, *, lo: float, hi: float, integer: bool = False,
            default: float | None = None) -> float | int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (
        integer and not isinstance(value, int)
    ):
        kind = "an integer" if integer else "a number"
        raise ParamError(f"'{key}' must be {kind} between {lo:g} and {hi:g}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ParamError(f"'{key}' must be between {lo:g} and {hi:g} (got {value!r:.40})")
    return value


def _bool(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ParamError(f"'{key}' must be true or false")
    return value


def _output_name(value: str | None, key: str = "output") -> str | None:
    if value is None:
        return None
    if not OUTPUT_NAME.fullmatch(value) or ".." in value:
        raise ParamError(
            f"'{key}' must be a plain file name (letters, digits, '.', '_', '-'; no directories,"
            " at most 100 characters), e.g. \"stars.fits\"; it is written under ~/jobs/<job-id>/"
        )
    return value


def _scalar_binds(body: Mapping[str, Any]) -> dict[str, Any]:
    binds = body.get("binds") or {}
    if not isinstance(binds, dict):
        raise ParamError("'binds' must be an object mapping bind names to values")
    if len(binds) > 100:
        raise ParamError("'binds' may hold at most 100 values")
    for name, value in binds.items():
        if not BIND_NAME.fullmatch(name):
            raise ParamError(
                f"bind name {name[:70]!r} is invalid: use letters, digits and '_' (as in :ra)"
            )
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ParamError(f"bind :{name} must be a string, a number, true/false or null")
        if isinstance(value, str) and len(value) > 10_000:
            raise ParamError(f"bind :{name} is too long (at most 10000 characters)")
    return dict(binds)


# -- query --------------------------------------------------------------------------------


def _format_for(fmt: str | None, output: str | None) -> str:
    if fmt is not None:
        key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if key not in QUERY_FORMATS:
            raise ParamError(
                f"unknown format {fmt[:40]!r}; valid formats: {', '.join(QUERY_FORMATS)}"
            )
        return key
    if output:
        lowered = output.lower()
        for suffix, name in QUERY_EXTENSIONS:
            if lowered.endswith(suffix):
                return name
        raise ParamError(
            f"cannot tell the format from the file name {output!r}: end it with one of "
            f"{', '.join(s for s, _ in QUERY_EXTENSIONS)} or give 'format'"
        )
    return QUERY["default_format"]


def validate_query(body: Mapping[str, Any]) -> dict[str, Any]:
    allowed = ("sql", "format", "output", "compression", "binds", "max_file_bytes", "timeout")
    _unknown(body, allowed, "query")
    sql = _string(body, "sql", required=True, max_len=MAX_SQL_CHARS)
    fmt = _string(body, "format", max_len=40)
    output = _output_name(_string(body, "output", max_len=100))
    compression = _string(body, "compression", max_len=20)
    fmt = _format_for(fmt, output)
    if compression is not None and compression.lower() not in COMPRESSIONS[fmt]:
        valid = ", ".join(COMPRESSIONS[fmt]) or "none (leave it out)"
        raise ParamError(
            f"compression {compression[:20]!r} does not apply to {fmt}; valid: {valid}"
        )
    if output is None:
        gz = fmt in ("csv", "ecsv") and compression == "gzip"
        output = QUERY["default_output_stem"] + QUERY_FORMATS[fmt] + (".gz" if gz else "")
    params: dict[str, Any] = {
        "sql": sql,
        "format": fmt,
        "output": output,
        "compression": compression.lower() if compression else None,
        "binds": _scalar_binds(body),
    }
    max_bytes = _number(body, "max_file_bytes", lo=1024, hi=2**50, integer=True)
    if max_bytes is not None:
        params["max_file_bytes"] = max_bytes
    timeout = _number(body, "timeout", lo=1, hi=7 * 86400)
    if timeout is not None:
        params["timeout"] = timeout
    return params


def _query_name(params: Mapping[str, Any]) -> str:
    first = " ".join(str(params.get("sql", "")).split())
    return (first[:57] + "...") if len(first) > 60 else first


# -- cutout -------------------------------------------------------------------------------

# stamp sizes in arcmin; the cap is the same variable the worker's deslab.cutouts reads, so a
# size the service accepts is one the worker will cut
CUTOUT_MIN_SIZE: float = CUTOUT["min_size_arcmin"]
CUTOUT_DEFAULT_MAX_SIZE: float = CUTOUT["max_size_arcmin"]


def cutout_max_size() -> float:
    try:
        return float(os.environ.get(CUTOUT["max_size_variable"]) or CUTOUT_DEFAULT_MAX_SIZE)
    except ValueError:
        return CUTOUT_DEFAULT_MAX_SIZE


def validate_cutout(body: Mapping[str, Any]) -> dict[str, Any]:
    allowed = ("positions", "xsize", "ysize", "bands", "rgb", "rgb_bands", "rgb_stretch",
               "rgb_q", "rgb_minimum", "edge")
    _unknown(body, allowed, "cutout")
    positions = body.get("positions")
    if isinstance(positions, str):
        if not positions.strip():
            raise ParamError("'positions' is empty: give CSV text with RA,DEC columns")
        if len(positions.encode()) > MAX_POSITIONS_BYTES:
            raise ParamError(f"'positions' is larger than {MAX_POSITIONS_BYTES} bytes")
        text = positions.strip()
        if names_a_file(text) and not HOME_CSV.fullmatch(text):
            raise ParamError(
                "'positions' names a file: give a .csv path relative to your home, without "
                "'..' (e.g. \"lists/targets.csv\"), or the CSV text itself"
            )
    elif isinstance(positions, list):
        if not positions:
            raise ParamError("'positions' is an empty list: give [[ra, dec], ...]")
        if len(positions) > MAX_POSITIONS:
            raise ParamError(f"'positions' may hold at most {MAX_POSITIONS} rows; split the job")
        for i, row in enumerate(positions):
            if not (isinstance(row, list) and len(row) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in row
            )):
                raise ParamError(f"positions[{i}] must be [ra, dec] in degrees")
    else:
        raise ParamError(
            "'positions' is required: CSV text with RA,DEC (or COADD_OBJECT_ID) columns, "
            "or a list of [ra, dec] pairs"
        )
    params: dict[str, Any] = {"positions": positions}
    for key in ("xsize", "ysize"):
        value = _number(body, key, lo=CUTOUT_MIN_SIZE, hi=cutout_max_size())
        if value is not None:
            params[key] = value
    bands = _string(body, "bands", max_len=10)
    if bands is not None:
        if not bands or any(b not in CUTOUT_BANDS for b in bands):
            raise ParamError(f"'bands' must be letters from {CUTOUT_BANDS!r}, e.g. \"gri\"")
        params["bands"] = bands
    params["rgb"] = _bool(body, "rgb", True)
    rgb_bands = _string(body, "rgb_bands", max_len=3)
    if rgb_bands is not None:
        if len(rgb_bands) != 3 or any(b not in CUTOUT_BANDS for b in rgb_bands):
            raise ParamError(f"'rgb_bands' must be three letters from {CUTOUT_BANDS!r}")
        params["rgb_bands"] = rgb_bands
    for key, lo, hi in (("rgb_stretch", 1e-6, 1e6), ("rgb_q", 0.0, 1e3),
                        ("rgb_minimum", -1e9, 1e9)):
        value = _number(body, key, lo=lo, hi=hi)
        if value is not None:
            params[key] = value
    edge = _string(body, "edge", max_len=10)
    if edge is not None:
        if edge not in CUTOUT["edges"]:
            raise ParamError(f"'edge' must be one of: {', '.join(CUTOUT['edges'])}")
        params["edge"] = edge
    return params


def _positions_count(params: Mapping[str, Any]) -> int | None:
    """Rows of a cutout job's positions (None when they are in a file of the owner's home)."""
    positions = params.get("positions")
    if isinstance(positions, list):
        return len(positions)
    if names_a_file(str(positions).strip()):
        return None
    lines = [line for line in str(positions).strip().splitlines() if line.strip()]
    return max(0, len(lines) - 1)


def _cutout_name(params: Mapping[str, Any]) -> str:
    n = _positions_count(params)
    if n is None:
        return f"cutouts of {str(params.get('positions')).strip()[:80]}"
    return f"cutouts of {n} position{'s' if n != 1 else ''}"


def _cutout_work(params: Mapping[str, Any]) -> float | None:
    """Files a cutout job writes: a stamp per position and band, plus a colour image."""
    n = _positions_count(params)
    if n is None:
        return None
    bands = len(params.get("bands") or CUTOUT_DEFAULT_BANDS)
    return float(n * (bands + bool(params.get("rgb"))))


# -- anomaly ------------------------------------------------------------------------------


def validate_anomaly(body: Mapping[str, Any]) -> dict[str, Any]:
    allowed = ("sql", "table", "columns", "binds", "n_estimators", "max_samples",
               "extension_level", "max_depth", "contamination", "random_state", "top",
               "drop_invalid", "output")
    _unknown(body, allowed, "anomaly")
    table = _string(body, "table", max_len=1000)
    if table is not None:
        # a table file in the user's home (e.g. a query job's result), as a relative path
        if body.get("sql") is not None:
            raise ParamError("give either 'sql' or 'table' (a file in your home), not both")
        if not table.strip() or table.startswith(("/", "~")) or ".." in table.split("/"):
            raise ParamError("'table' must be a path relative to your home, e.g. "
                             "\"jobs/<job-id>/stars.parquet\"")
        params: dict[str, Any] = {"table": table}
    else:
        params = {"sql": _string(body, "sql", required=True, max_len=MAX_SQL_CHARS)}
    columns = body.get("columns")
    if columns is not None:
        if not (isinstance(columns, list) and 1 <= len(columns) <= 200 and all(
            isinstance(c, str) and COLUMN_NAME.fullmatch(c) for c in columns
        )):
            raise ParamError(
                "'columns' must be a list of 1 to 200 column names (letters, digits, '_')"
            )
        params["columns"] = columns
    params["binds"] = _scalar_binds(body)
    for key, lo, hi, integer in (
        ("n_estimators", 1, 10_000, True),
        ("max_samples", 2, 1_000_000, True),
        ("extension_level", 0, 1000, True),
        ("max_depth", 1, 64, True),
        ("contamination", 1e-6, 0.5, False),
        ("random_state", 0, 2**32 - 1, True),
        ("top", 1, 100_000, True),
    ):
        value = _number(body, key, lo=lo, hi=hi, integer=integer)
        if value is not None:
            params[key] = value
    if "drop_invalid" in body:
        params["drop_invalid"] = _bool(body, "drop_invalid", False)
    output = _output_name(_string(body, "output", max_len=100))
    if output is not None:
        params["output"] = output
    return params


_BEHAVIOUR: dict[str, dict[str, Any]] = {
    "query": {"validate": validate_query, "default_name": _query_name},
    "cutout": {"validate": validate_cutout, "default_name": _cutout_name, "work": _cutout_work},
    "anomaly": {"validate": validate_anomaly, "default_name": lambda p: "anomaly scores"},
}
JOB_TYPES: dict[str, JobType] = {
    name: JobType(name, description, **_BEHAVIOUR[name])
    for name, description in JOB_TYPE_DESCRIPTIONS.items()
}


def get_type(name: object) -> JobType:
    """The job type called ``name``; :class:`ParamError` listing the valid ones otherwise."""
    if isinstance(name, str) and name in JOB_TYPES:
        return JOB_TYPES[name]
    shown = repr(name)[:40] if name is not None else "nothing"
    raise ParamError(
        f"unknown job type {shown}; valid types: {', '.join(sorted(JOB_TYPES))}"
    )

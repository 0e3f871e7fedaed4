"""Turning the many input forms of ``deslab.cutouts`` into checked per-row requests.

Accepted: a list of (ra, dec) pairs, an astropy Table, a pandas DataFrame, a CSV file path or
CSV text, each with RA,DEC or COADD_OBJECT_ID columns (any case). Optional per-row columns
XSIZE, YSIZE (arcmin) and BANDS (e.g. "gri") override the call's arguments, as in DESaccess.

A problem with the whole input (no rows, missing columns, not UTF-8, too many rows) raises
:class:`~deslab.errors.CutoutError`; a problem with one row is recorded on that row, and the
other rows go on.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deslab.contract import CUTOUT
from deslab.errors import CutoutError

VALID_BANDS: str = CUTOUT["bands"]  # from the job contract, in wavelength order


@dataclass
class Request:
    """One input row, checked."""

    row: int
    ra: float | None = None
    dec: float | None = None
    coadd_id: int | None = None
    xsize: float = 1.0
    ysize: float = 1.0
    bands: str = "gri"
    error: str | None = None
    tilename: str = ""
    stem: str = ""  # file name stem of the row's stamps
    files: list[str] = field(default_factory=list)
    status: str = ""
    message: str = ""
    partial: bool = False  # some of its bands have no image: the rest is cut


def parse_bands(value: Any, where: str = "bands") -> str:
    """Normalise a band list ("gri", ["g", "r"], "G,R,I") to a string in grizY order."""
    if isinstance(value, str):
        items = [c for c in value.replace(",", " ").replace(";", " ").split()]
        chars = "".join(items)
    elif isinstance(value, list | tuple):
        chars = "".join(str(v).strip() for v in value)
    else:
        raise CutoutError(f"{where} must be a string like 'gri', got {value!r}")
    out = []
    for ch in chars:
        band = "Y" if ch in "yY" else ch.lower()
        if band not in VALID_BANDS:
            raise CutoutError(f"{where}: unknown band {ch!r}; valid bands are g, r, i, z, Y")
        if band not in out:
            out.append(band)
    if not out:
        raise CutoutError(f"{where} is empty; give one or more of g, r, i, z, Y")
    return "".join(sorted(out, key=VALID_BANDS.index))


def check_size(value: Any, name: str, min_size: float, max_size: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CutoutError(f"{name} must be a number of arcminutes, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise CutoutError(f"{name} must be positive (arcminutes), got {value!r}")
    if v < min_size or v > max_size:
        raise CutoutError(
            f"{name} {v:g} arcmin is outside the allowed range {min_size:g} to {max_size:g}")
    return v


HOME_FILE = re.compile(CUTOUT["positions_file"]["pattern"])
# The contract's ``cutout.typed_positions``: text whose first line is only numbers is typed
# positions, one "ra dec" pair per line; otherwise the first line is a CSV header.
TYPED_POSITIONS = re.compile(CUTOUT["typed_positions"]["pattern"])
PAIR_SEPARATOR = re.compile(r"[\s,;]+")


def names_a_file(text: str) -> bool:
    """The job contract's rule (``cutout.positions_file``): positions text of one line
    without a comma that is not a line of numbers names a CSV file; anything else is the
    positions themselves."""
    return ("\n" not in text.strip() and "," not in text
            and not TYPED_POSITIONS.fullmatch(text.strip()))


def home_file(text: str, home: Path) -> Path:
    """The CSV file ``text`` names inside ``home`` (a job's positions file).

    Raises
    ------
    CutoutError
        When ``text`` is not a ``.csv`` path relative to the home without ``..``.
    """
    name = text.strip()
    if not HOME_FILE.fullmatch(name):
        raise CutoutError(f"positions file {name[:100]!r} must be a .csv path relative to your "
                          "home, without '..' (e.g. lists/targets.csv)")
    return home / name


def rows_of(positions: Any, max_rows: int) -> list[dict[str, Any]]:
    """The input as a list of {UPPERCASE column: value} dicts."""
    if isinstance(positions, str | os.PathLike):
        text = str(positions)
        if isinstance(positions, os.PathLike) or names_a_file(text) or (
            "\n" not in text.strip() and _is_file(text)
        ):
            return _csv_rows(_read_text(Path(text)), text, max_rows)
        return _csv_rows(text, "the CSV text", max_rows)
    if isinstance(positions, bytes):
        return _csv_rows(_decode(positions, "the CSV data"), "the CSV data", max_rows)
    rows = _table_rows(positions)
    if rows is None:
        rows = _pair_rows(positions)
    if not rows:
        raise CutoutError("no positions were given")
    if len(rows) > max_rows:
        raise CutoutError(f"{len(rows)} positions is more than the maximum of {max_rows} per "
                          "request; split them, or submit them as a job")
    return rows


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a file
        return False


def _read_text(path: Path) -> str:
    shown = str(path) if len(str(path)) <= 200 else str(path)[:200] + "..."
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CutoutError(f"the CSV file {shown} does not exist") from None
    except IsADirectoryError:
        raise CutoutError(f"{shown} is a directory, not a CSV file") from None
    except (OSError, ValueError) as exc:
        raise CutoutError(f"cannot read {shown}: {getattr(exc, 'strerror', None) or exc}"
                          ) from None
    return _decode(data, shown)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CutoutError(f"{name} is not UTF-8 text (bad byte at offset {exc.start}); "
                          "save it as UTF-8 CSV") from None


def _csv_rows(text: str, name: str, max_rows: int) -> list[dict[str, Any]]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise CutoutError(f"{name} is empty; it needs a header line (RA,DEC or COADD_OBJECT_ID)"
                          " and one line per position")
    if TYPED_POSITIONS.fullmatch(lines[0]):
        return _pair_lines(lines, name, max_rows)
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [h.strip().upper() for h in next(reader)]
    if not ({"RA", "DEC"} <= set(header) or "COADD_OBJECT_ID" in header):
        raise CutoutError(f"{name} has no RA and DEC columns nor a COADD_OBJECT_ID column "
                          f"(found: {', '.join(header) or 'none'})")
    rows = []
    for values in reader:
        if len(rows) >= max_rows:
            raise CutoutError(f"{name} has more than the maximum of {max_rows} rows per "
                              "request; split it, or submit it as a job")
        row = {h: (values[k].strip() if k < len(values) else "") for k, h in enumerate(header)}
        if len(values) > len(header):
            row["__error__"] = f"{len(values)} values for {len(header)} columns"
        rows.append(row)
    if not rows:
        raise CutoutError(f"{name} has a header but no positions")
    return rows


def _pair_lines(lines: list[str], name: str, max_rows: int) -> list[dict[str, Any]]:
    """Positions typed without a header: one "ra dec" (or "ra, dec", "ra; dec") per line."""
    if len(lines) > max_rows:
        raise CutoutError(f"{name} has more than the maximum of {max_rows} rows per "
                          "request; split it, or submit it as a job")
    rows = []
    for line in lines:
        values = [v for v in PAIR_SEPARATOR.split(line.strip()) if v]
        row: dict[str, Any] = {"RA": values[0] if values else "",
                               "DEC": values[1] if len(values) > 1 else ""}
        if len(values) != 2:
            row["__error__"] = (f"{len(values)} values in {line.strip()[:60]!r}; give RA and "
                                "DEC in degrees, or start with a header line (RA,DEC)")
        rows.append(row)
    return rows


def _table_rows(obj: Any) -> list[dict[str, Any]] | None:
    """Rows of an astropy Table or a pandas DataFrame, else None."""
    colnames = getattr(obj, "colnames", None)
    if colnames is None and hasattr(obj, "columns") and hasattr(obj, "to_dict"):
        colnames = [str(c) for c in obj.columns]
        records = obj.to_dict("records")
        data = [{str(k).upper(): v for k, v in r.items()} for r in records]
    elif colnames is not None:
        data = [{c.upper(): _plain(obj[c][k]) for c in colnames} for k in range(len(obj))]
    else:
        return None
    upper = {c.upper() for c in colnames}
    if not ({"RA", "DEC"} <= upper or "COADD_OBJECT_ID" in upper):
        raise CutoutError("the table has no RA and DEC columns nor a COADD_OBJECT_ID column "
                          f"(found: {', '.join(colnames) or 'none'})")
    return data


def _plain(value: Any) -> Any:
    if getattr(value, "mask", False) is True:
        return None
    return value.item() if hasattr(value, "item") else value


def _pair_rows(obj: Any) -> list[dict[str, Any]]:
    try:
        items = list(obj)
    except TypeError:
        raise CutoutError("positions must be a list of (ra, dec) pairs, an astropy Table, a "
                          f"pandas DataFrame or a CSV path, got {type(obj).__name__}") from None
    if len(items) == 2 and all(isinstance(v, int | float) for v in items):
        items = [items]  # a single (ra, dec)
    rows = []
    for item in items:
        try:
            ra, dec = item
            rows.append({"RA": ra, "DEC": dec})
        except (TypeError, ValueError):
            rows.append({"__error__": f"expected an (ra, dec) pair, got {item!r}"})
    return rows


def _number(value: Any, name: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CutoutError(f"{name} is missing")
    if isinstance(value, bool):
        raise CutoutError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CutoutError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise CutoutError(f"{name} must be a finite number, got {value!r}")
    return v


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def build_requests(rows: list[dict[str, Any]], xsize: float, ysize: float, bands: str,
                   min_size: float, max_size: float) -> list[Request]:
    """Check each row; a bad row gets its ``error`` and the others go on."""
    out = []
    for k, row in enumerate(rows):
        req = Request(row=k, xsize=xsize, ysize=ysize, bands=bands)
        try:
            if row.get("__error__"):
                raise CutoutError(row["__error__"])
            has_pos = not (_blank(row.get("RA")) and _blank(row.get("DEC")))
            if has_pos or "COADD_OBJECT_ID" not in row:
                ra = _number(row.get("RA"), "RA")
                dec = _number(row.get("DEC"), "DEC")
                req.ra, req.dec = ra, dec
                if not 0.0 <= ra < 360.0:
                    raise CutoutError(f"RA {ra:g} is outside [0, 360) degrees")
                if not -90.0 <= dec <= 90.0:
                    raise CutoutError(f"DEC {dec:g} is outside [-90, 90] degrees")
                req.ra, req.dec = ra, dec
            if not has_pos:
                value = row.get("COADD_OBJECT_ID")
                v = _number(value, "COADD_OBJECT_ID")
                if v != int(v) or v < 0:
                    raise CutoutError(f"COADD_OBJECT_ID must be a positive integer, got {value!r}")
                req.coadd_id = int(v)
            elif not _blank(row.get("COADD_OBJECT_ID")):
                try:
                    req.coadd_id = int(float(row["COADD_OBJECT_ID"]))
                except (TypeError, ValueError):
                    req.coadd_id = None
            if not _blank(row.get("XSIZE")):
                req.xsize = check_size(row["XSIZE"], "XSIZE", min_size, max_size)
            if not _blank(row.get("YSIZE")):
                req.ysize = check_size(row["YSIZE"], "YSIZE", min_size, max_size)
            for key in ("BANDS", "COLORS_FITS"):
                if not _blank(row.get(key)):
                    req.bands = parse_bands(row[key], key)
                    break
        except CutoutError as exc:
            req.error = str(exc)
        out.append(req)
    return out

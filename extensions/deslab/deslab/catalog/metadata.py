"""Catalog metadata: describe a table, find tables and columns, suggest names for typos."""

from __future__ import annotations

import difflib
import fnmatch
import re

from astropy.table import Table

from deslab.catalog.backends.base import Backend, ColumnInfo
from deslab.catalog.dialect import Statement
from deslab.errors import QueryError

_UNKNOWN_TABLE = re.compile(r"Table with name (\S+?) does not exist", re.IGNORECASE)
_UNKNOWN_COLUMN = re.compile(
    r'(?:column|identifier)\s+"?([^"\s]+)"?\s+(?:not found|could not be found)'
    r'|"([^"]+)": invalid identifier',
    re.IGNORECASE,
)


def _pattern(pattern: str) -> re.Pattern[str]:
    """``%``/``*`` and ``?`` wildcards; a bare word matches anywhere in the name (``_`` is
    literal, since catalog names are full of underscores)."""
    p = (pattern or "").strip().replace("[", "[[]")
    if not any(ch in p for ch in "%*?"):
        p = f"*{p}*"
    p = p.replace("%", "*")
    return re.compile(fnmatch.translate(p.upper()))


def closest(name: str, choices: list[str], n: int = 3) -> list[str]:
    """The choices closest to ``name`` (case-insensitive)."""
    upper = {c.upper(): c for c in choices}
    found = difflib.get_close_matches(name.upper(), list(upper), n=n, cutoff=0.5)
    contains = [c for u, c in upper.items() if name.upper() in u and upper[u] not in found]
    return [upper[f] for f in found] + contains[: max(0, n - len(found))]


def _suggest(name: str, choices: list[str]) -> str:
    near = closest(name, choices)
    if near:
        return "did you mean " + " or ".join(near) + "?"
    shown = ", ".join(sorted(choices)[:20])
    return f"valid names are {shown}" + (" ..." if len(choices) > 20 else "")


def table_names(backend: Backend) -> list[str]:
    return [t.name for t in backend.tables()]


def resolve_table(backend: Backend, name: str) -> str:
    """The catalog's spelling of a table name; an unknown name raises with suggestions."""
    names = table_names(backend)
    want = name.strip().upper().split(".")[-1]
    for n in names:
        if n.upper() == want:
            return n
    raise QueryError(f"unknown table {name!r}: {_suggest(want, names)} "
                     "(find_tables('pattern') lists tables)")


def explain_unknown_name(backend: Backend, message: str, stmt: Statement | None) -> str:
    """Reword a database's 'unknown table/column' error with the closest valid names."""
    names = table_names(backend)
    m = _UNKNOWN_TABLE.search(message)
    unknown_tables = [m.group(1).strip('"')] if m else []
    if not unknown_tables and stmt is not None and "942" in message:
        unknown_tables = [t for t in stmt.tables
                          if t.split(".")[-1].upper() not in {n.upper() for n in names}]
    if unknown_tables:
        t = unknown_tables[0]
        return (f"unknown table {t}: {_suggest(t, names)} "
                "(find_tables('pattern') lists tables)")
    m = _UNKNOWN_COLUMN.search(message)
    if m:
        col = (m.group(1) or m.group(2)).split(".")[-1]
        tables = stmt.tables if stmt is not None and stmt.tables else names
        cols = sorted({c.name for t in tables for c in backend.columns(t)})
        where = ", ".join(tables) if stmt is not None and stmt.tables else "the catalog"
        return (f"unknown column {col} in {where}: {_suggest(col, cols)} "
                "(describe_table('NAME') lists a table's columns)")
    return f"the catalog could not run the query: {message}"


def describe_table(backend: Backend, name: str) -> Table:
    """The columns of a table: NAME, TYPE, UNIT, DESCRIPTION."""
    table = resolve_table(backend, name)
    cols = backend.columns(table)
    info = next((t for t in backend.tables() if t.name == table), None)
    out = Table(
        {
            "NAME": [c.name for c in cols],
            "TYPE": [c.type for c in cols],
            "UNIT": [c.unit for c in cols],
            "DESCRIPTION": [c.description for c in cols],
        },
        meta={"table": table, "description": info.description if info else "",
              "rows": info.rows if info else None},
    )
    return out


def find_tables(backend: Backend, pattern: str = "", column: str | None = None) -> Table:
    """Tables whose name matches ``pattern`` (substring or ``%``/``*`` wildcards); with
    ``column``, only those having a column whose name matches it, as easyaccess's
    ``find_tables_with_column`` (the matching columns in ``COLUMNS``)."""
    rx = _pattern(pattern)
    found = [t for t in backend.tables() if rx.match(t.name.upper())]
    out = {
        "TABLE_NAME": [t.name for t in found],
        "ROWS": [(-1 if t.rows is None else int(t.rows)) for t in found],
        "DESCRIPTION": [t.description for t in found],
    }
    if column is None:
        return Table(out)
    crx = _pattern(column)
    matches = {t.name: [c.name for c in backend.columns(t.name) if crx.match(c.name.upper())]
               for t in found}
    keep = [i for i, t in enumerate(found) if matches[t.name]]
    out = {k: [v[i] for i in keep] for k, v in out.items()}
    out["COLUMNS"] = [" ".join(matches[found[i].name]) for i in keep]
    return Table(out)


def find_columns(backend: Backend, pattern: str = "") -> Table:
    """Columns, in any table, whose name matches ``pattern``."""
    rx = _pattern(pattern)
    found: list[ColumnInfo] = [c for c in backend.columns() if rx.match(c.name.upper())]
    return Table(
        {
            "TABLE_NAME": [c.table for c in found],
            "COLUMN_NAME": [c.name for c in found],
            "TYPE": [c.type for c in found],
            "UNIT": [c.unit for c in found],
            "DESCRIPTION": [c.description for c in found],
        }
    )


def column_lookup(backend: Backend, tables: list[str]) -> dict[str, ColumnInfo]:
    """Column name (upper case) -> its metadata, over the given tables (first one wins)."""
    out: dict[str, ColumnInfo] = {}
    for t in tables:
        try:
            cols = backend.columns(t)
        except Exception:  # metadata is a nicety; never fail a query for it
            continue
        for c in cols:
            out.setdefault(c.name.upper(), c)
    return out

"""Catalog handlers: quick queries, the schema for the browser and the editor's completion."""

from __future__ import annotations

from typing import Any

import tornado.web

import deslab
from deslab.server.base import DeslabHandler
from deslab.server.errors import BadRequest
from deslab.server.serialize import column_info, table_records, table_rows

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 300.0


def _number(body: dict[str, Any], key: str, default: float, lo: float, hi: float,
            integer: bool = False) -> float:
    value = body.get(key, default)
    if value is None:
        return default
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or not lo <= value <= hi:
        kind = "a whole number" if integer else "a number"
        raise BadRequest(f"'{key}' must be {kind} from {lo:g} to {hi:g}")
    return int(value) if integer else float(value)


class QueryHandler(DeslabHandler):
    """``POST /deslab/api/query`` ``{"sql", "limit"?, "timeout"?}``: a quick query.

    Answers ``{"columns": [...], "rows": [[...]], "row_count", "truncated", "seconds"}``.
    """

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        sql = body.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise BadRequest("'sql' is required: the Oracle SQL query to run")
        limit = _number(body, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, integer=True)
        timeout = _number(body, "timeout", DEFAULT_TIMEOUT, 1, MAX_TIMEOUT)
        table = await self.run(deslab.query, sql, limit=limit, timeout=timeout)
        meta = table.meta
        self.reply({
            "columns": column_info(table),
            "rows": table_rows(table),
            "row_count": len(table),
            "truncated": bool(meta.get("truncated")),
            "limit": limit,
            "seconds": float(meta.get("seconds") or 0.0),
        })


class SchemaHandler(DeslabHandler):
    """``GET /deslab/api/schema``: every table with its columns (schema browser, completion)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        tables = await self.run(deslab.find_tables, "")
        columns = await self.run(deslab.find_columns, "")
        by_table: dict[str, list[dict[str, Any]]] = {}
        for c in table_records(columns):
            by_table.setdefault(str(c["table_name"]).upper(), []).append({
                "name": c["column_name"], "type": c["type"], "unit": c["unit"] or "",
                "description": c["description"] or "",
            })
        out = []
        for t in table_records(tables):
            name = str(t["table_name"])
            rows = t.get("rows")
            out.append({
                "name": name,
                "rows": rows if isinstance(rows, int) and rows >= 0 else None,
                "description": t.get("description") or "",
                "columns": by_table.get(name.upper(), []),
            })
        self.reply({"tables": out})


class TableHandler(DeslabHandler):
    """``GET /deslab/api/tables/<name>``: the columns of one table (unknown: 400 with hints)."""

    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        table = await self.run(deslab.describe_table, name)
        self.reply({
            "name": table.meta.get("table", name),
            "description": table.meta.get("description") or "",
            "rows": table.meta.get("rows"),
            "columns": table_records(table),
        })


class ColumnsHandler(DeslabHandler):
    """``GET /deslab/api/columns?pattern=MAG``: columns whose name matches, in any table."""

    @tornado.web.authenticated
    async def get(self) -> None:
        pattern = self.get_query_argument("pattern", "")
        if len(pattern) > 200:
            raise BadRequest("'pattern' is too long (at most 200 characters)")
        found = await self.run(deslab.find_columns, pattern)
        self.reply({"columns": table_records(found)})

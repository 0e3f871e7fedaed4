"""Oracle's ``ROWNUM`` on DuckDB, in Oracle's order of operations.

Oracle numbers the rows as they come out of ``FROM``/``WHERE``, before ``GROUP BY``,
aggregates, ``DISTINCT``, window functions, ``ORDER BY`` and ``OFFSET``/``FETCH`` (SQL Language
Reference, "ROWNUM Pseudocolumn"): ``WHERE ROWNUM <= 10 ORDER BY x`` sorts the first 10 rows
read, not the whole table. So a ``ROWNUM`` cap becomes a ``LIMIT`` on the rows read: directly
when nothing comes after it, otherwise in a subquery that takes the rows first and lets the
rest of the query run on them. ``ROWNUM`` in the select list numbers those rows
(``ROW_NUMBER() OVER ()``).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from deslab.errors import QueryError

Cap = int | exp.Expression
CAPPED = "ROWNUM_ROWS"  # alias of the subquery that reads the capped rows
ROWNUM_WORD = r"\bROWNUM\b"
STAR = r"\*"


def is_rownum(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == "ROWNUM"


def _flip(op: type) -> type | None:
    return {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.EQ: exp.EQ, exp.LTE: exp.GTE,
            exp.LT: exp.GT}.get(op)


def condition_cap(cond: exp.Expression) -> Cap | bool | None:
    """What a ``ROWNUM`` comparison does to the rows read.

    Returns the row cap (``ROWNUM <= n`` -> n, ``< n`` -> ceil(n) - 1, ``= 1`` -> 1, a
    ``:name`` bind -> an expression), True for a condition that always holds (``ROWNUM >= 1``,
    ``ROWNUM > 0``), 0 for one that never holds (``ROWNUM > 1``, ``ROWNUM = 2``: Oracle
    returns no rows, because the first row would have to be numbered 2), None when ``cond``
    is not such a comparison.
    """
    if not isinstance(cond, exp.LTE | exp.LT | exp.EQ | exp.GTE | exp.GT):
        return None
    left, right, op = cond.this, cond.expression, type(cond)
    if is_rownum(right) and not is_rownum(left):
        left, right, op = right, left, _flip(op)
    if not is_rownum(left) or op is None:
        return None
    if isinstance(right, exp.Placeholder):
        if op is exp.LTE:
            cap = f"FLOOR({right.sql(dialect='duckdb')})"
        elif op is exp.LT:
            cap = f"CEIL({right.sql(dialect='duckdb')}) - 1"
        else:
            return None
        return sqlglot.parse_one(f"GREATEST(CAST({cap} AS BIGINT), 0)", read="duckdb")
    if isinstance(right, exp.Neg) and isinstance(right.this, exp.Literal):
        n = -float(right.this.name)
    elif isinstance(right, exp.Literal) and not right.is_string:
        n = float(right.name)
    else:
        return None
    if op is exp.LTE:
        return max(int(n // 1), 0)
    if op is exp.LT:
        return max(int(-(-n // 1)) - 1, 0)
    if op is exp.EQ:
        return 1 if n == 1 else 0
    if op is exp.GT:
        return True if n < 1 else 0
    # GTE
    return True if n <= 1 else 0


def _smaller(a: Cap | None, b: Cap) -> Cap:
    if a is None:
        return b
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    as_sql = [exp.Literal.number(v) if isinstance(v, int) else v for v in (a, b)]
    return exp.Least(this=as_sql[0], expressions=[as_sql[1]])


def _cap_sql(cap: Cap) -> exp.Expression:
    return exp.Literal.number(cap) if isinstance(cap, int) else cap


def _conjuncts(cond: exp.Expression) -> list[exp.Expression]:
    if isinstance(cond, exp.And):
        return _conjuncts(cond.this) + _conjuncts(cond.expression)
    if isinstance(cond, exp.Paren):
        inner = _conjuncts(cond.this)
        return inner if len(inner) > 1 or isinstance(cond.this, exp.And) else [cond]
    return [cond]


def _own(select: exp.Select, node: exp.Expression) -> bool:
    return node.parent_select is select


def _needs_subquery(select: exp.Select) -> bool:
    """Something in the query runs after Oracle assigns ROWNUM."""
    if any(select.args.get(k) for k in ("group", "having", "distinct", "order", "offset")):
        return True
    for e in select.expressions:
        for node in e.walk():
            if isinstance(node, exp.AggFunc | exp.Window) and _own(select, node):
                return True
            if is_rownum(node) and _own(select, node):
                return True
    return False


def rewrite(select: exp.Select, refuse_at) -> None:
    """Rewrite the ``ROWNUM`` uses of one ``SELECT`` (in place).

    ``refuse_at(pattern)`` gives the position text for an error message.
    """
    where = select.args.get("where")
    cap: Cap | None = None
    if where is not None:
        keep = []
        for c in _conjuncts(where.this):
            n = condition_cap(c)
            if n is None:
                keep.append(c)
            elif n is not True:
                cap = _smaller(cap, n)
        if any(is_rownum(n) for c in keep for n in c.walk()):
            raise QueryError(
                f"ROWNUM{refuse_at(ROWNUM_WORD)} can only be compared with a number in "
                "WHERE (ROWNUM <= n, ROWNUM < n, ROWNUM = 1), joined to the rest with AND: "
                "write the cap that way, or use FETCH FIRST n ROWS ONLY; nothing was run")
        select.set("where", exp.Where(this=exp.and_(*keep)) if keep else None)
    if cap is not None:
        if _needs_subquery(select):
            _cap_in_subquery(select, cap, refuse_at)
        else:
            old = select.args.get("limit")
            if old is not None:
                limit = old.expression
                cap = _smaller(cap, int(limit.name) if isinstance(limit, exp.Literal) else limit)
            select.set("limit", exp.Limit(expression=_cap_sql(cap)))
    for col in list(select.find_all(exp.Column)):
        if is_rownum(col) and _own(select, col):
            col.replace(exp.Window(this=exp.RowNumber()))


def _cap_in_subquery(select: exp.Select, cap: Cap, refuse_at) -> None:
    source = select.args.get("from_")
    if source is None:
        return
    joins = select.args.get("joins") or []
    if not joins:
        # one source: read the capped rows under the source's own name, run the rest on them
        inner = exp.select("*").from_(source.this.copy())
        if select.args.get("where") is not None:
            inner.set("where", select.args["where"].copy())
            select.set("where", None)
        inner = inner.limit(_cap_sql(cap))
        alias = source.this.alias_or_name
        source.set("this", exp.Subquery(this=inner, alias=exp.TableAlias(
            this=exp.to_identifier(alias)) if alias else None))
        return
    # a join: read the capped joined rows with every column the rest of the query uses;
    # bare columns in the select list keep their output names
    for e in list(select.expressions):
        if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star) and not is_rownum(e):
            e.replace(exp.alias_(e.copy(), exp.to_identifier(
                e.name, quoted=e.this.args.get("quoted", False))))
    outer_parts = [*select.expressions]
    for key in ("group", "having", "order", "windows"):
        if select.args.get(key) is not None:
            outer_parts.append(select.args[key])
    output_names = {e.alias_or_name.upper() for e in select.expressions}
    columns: dict[str, exp.Column] = {}
    for part in outer_parts:
        for col in list(part.find_all(exp.Column, exp.Star)):
            if isinstance(col, exp.Star) and not isinstance(col.parent, exp.Select | exp.Column):
                continue  # COUNT(*)
            if isinstance(col, exp.Star) or isinstance(col.this, exp.Star):
                raise QueryError(
                    f"ROWNUM with a join and * in the select list{refuse_at(STAR)} cannot be "
                    "translated: name the columns you need instead of *; nothing was run")
            if is_rownum(col) or not _own(select, col):
                continue
            if not col.table and col.name.upper() in output_names and \
                    col.find_ancestor(exp.Order) is not None:
                continue  # ORDER BY an output alias
            columns.setdefault(_key(col), col)
    inner = exp.Select(expressions=[
        exp.alias_(c.copy(), exp.to_identifier(k, quoted=True)) for k, c in columns.items()
    ] or [exp.Literal.number(1)])
    inner.set("from_", source.copy())
    inner.set("joins", [j.copy() for j in joins])
    if select.args.get("where") is not None:
        inner.set("where", select.args["where"].copy())
    inner = inner.limit(_cap_sql(cap))
    for part in outer_parts:
        for col in list(part.find_all(exp.Column)):
            if _own(select, col) and _key(col) in columns and not is_rownum(col):
                col.replace(exp.column(exp.to_identifier(_key(col), quoted=True)))
    select.set("from_", exp.From(this=exp.Subquery(
        this=inner, alias=exp.TableAlias(this=exp.to_identifier(CAPPED)))))
    select.set("joins", None)
    select.set("where", None)


def _key(col: exp.Column) -> str:
    return f"{col.table}.{col.name}" if col.table else col.name

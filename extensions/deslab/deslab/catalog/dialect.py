"""Oracle SQL in, a checked statement out; Oracle -> DuckDB translation with sqlglot.

Users write Oracle SQL everywhere. :func:`parse` checks that the text is one read-only query
(see :mod:`deslab.catalog.guard`) and finds its tables and ``:name`` bind variables;
:func:`to_duckdb` rewrites it for DuckDB: ``ROWNUM`` filters become ``LIMIT``, ``FETCH FIRST``
becomes ``LIMIT``, ``NVL``/``NVL2``/``DECODE``/``BITAND`` become their DuckDB forms, ``dual``
becomes a one-row table, ``(+)`` outer joins become ``LEFT JOIN`` and ``:name`` binds become
``$name``. Unquoted identifiers are upper-cased as Oracle does, so result columns have the
same names on both backends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp, transforms
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from deslab.catalog import guard
from deslab.errors import QueryError

_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(PLAN\s+(SET\s+STATEMENT_ID\s*=\s*'[^']*'\s+)?FOR\s+)?",
                      re.IGNORECASE)


@dataclass
class Statement:
    """One checked read-only query.

    Attributes
    ----------
    sql : str
        The query as the user wrote it (without a trailing ``;`` and without ``EXPLAIN``).
    explain : bool
        The user asked for the plan (``EXPLAIN [PLAN FOR] SELECT ...``).
    tree : sqlglot.exp.Expression or None
        The Oracle parse tree (None when sqlglot cannot parse it and the backend accepts
        unparsed SQL, which only Oracle does).
    tables : list of str
        Names of the catalog tables the query reads (upper case; CTE names excluded).
    binds : list of str
        Bind variable names used (lower case, in order of first use).
    translations : dict
        Target dialect -> translated SQL, filled on first use (an export translates the same
        statement for its string-width pass and for its stream).
    """

    sql: str
    explain: bool = False
    tree: exp.Expression | None = None
    tables: list[str] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    translations: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


def _parse_error(sql: str, exc: SqlglotError) -> QueryError:
    errors = getattr(exc, "errors", None) or []
    if errors:
        e = errors[0]
        where = f" at line {e.get('line')}, column {e.get('col')}"
        near = (e.get("highlight") or "").strip()
        what = e.get("description") or "syntax error"
        if "<class" in what or "missing for" in what:
            what = "incomplete or unexpected syntax"
        near_txt = f" near {near!r}" if near else ""
        return QueryError(f"the SQL could not be parsed{where}{near_txt}: {what}; "
                          "check the statement (Oracle syntax)")
    return QueryError(f"the SQL could not be parsed: {str(exc).splitlines()[0]}")


def parse(sql: str, *, allow_unparsed: bool = False) -> Statement:
    """Check that ``sql`` is one read-only query and collect its tables and binds.

    Parameters
    ----------
    sql : str
        Oracle SQL: ``SELECT``, ``WITH ... SELECT`` or ``EXPLAIN [PLAN FOR] SELECT``; one
        statement, an optional trailing ``;``.
    allow_unparsed : bool
        Accept a query sqlglot cannot parse (its first keyword must still be SELECT/WITH);
        used for Oracle, where the database itself has the final word.

    Raises
    ------
    ReadOnlyError
        The statement is not a query.
    QueryError
        The SQL is empty, malformed or holds more than one statement.
    """
    if not isinstance(sql, str):
        raise QueryError(f"the SQL must be a string, not {type(sql).__name__}")
    text = sql.strip().rstrip(";").strip()
    if not guard.strip_comments(text).strip():
        raise QueryError("the SQL is empty: write a query, e.g. SELECT * FROM DR2_MAIN "
                         "WHERE ROWNUM <= 10")
    guard.check_keyword(text)
    explain = False
    m = _EXPLAIN.match(text)
    if m:
        explain = True
        text = text[m.end():].strip()
        guard.check_keyword(text)
        if guard.first_keyword(text) == "EXPLAIN":
            raise QueryError("EXPLAIN EXPLAIN is not a query")
    guard.check_functions(text)
    try:
        trees = [t for t in sqlglot.parse(text, read="oracle") if t is not None]
    except SqlglotError as exc:
        if allow_unparsed and ";" not in text:
            return Statement(sql=text, explain=explain)
        raise _parse_error(text, exc) from None
    if len(trees) != 1:
        raise QueryError("only one statement can run at a time: remove the extra statements "
                         "after the first ';'")
    tree = trees[0]
    guard.check_tree(tree)
    tree = normalize_identifiers(tree, dialect="oracle")
    ctes = {c.alias_or_name.upper() for c in tree.find_all(exp.CTE)}
    tables: list[str] = []
    for t in tree.find_all(exp.Table):
        name = t.name.upper()
        if not name or name in ctes or name == "DUAL":
            continue
        full = f"{t.db.upper()}.{name}" if t.db else name
        if full not in tables:
            tables.append(full)
    binds: list[str] = []
    for p in tree.find_all(exp.Placeholder):
        name = (p.name or "").lower()
        if not name:
            raise QueryError("positional '?' parameters are not supported: use named binds "
                             "like :ra_min and pass binds={'ra_min': 10.0}")
        if name not in binds:
            binds.append(name)
    return Statement(sql=text, explain=explain, tree=tree, tables=tables, binds=binds)


def check_binds(stmt: Statement, binds: dict | None) -> dict:
    """The bind values the statement needs, by lower-case name.

    Raises
    ------
    QueryError
        A ``:name`` in the SQL has no value; the message lists the missing and given names.
    """
    given = {str(k).lower().lstrip(":"): v for k, v in (binds or {}).items()}
    missing = [b for b in stmt.binds if b not in given]
    if missing:
        names = ", ".join(":" + b for b in missing)
        have = ", ".join(sorted(given)) or "none"
        raise QueryError(f"no value for bind variable(s) {names}: pass binds={{...}} with "
                         f"these names (given: {have})")
    return {b: given[b] for b in stmt.binds}


# --- Oracle -> DuckDB -------------------------------------------------------------------

_DUAL = "(SELECT 'X' AS DUMMY)"


def _is_rownum(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == "ROWNUM"


def _rownum_limit(cond: exp.Expression) -> int | exp.Expression | None:
    """``ROWNUM <= n`` / ``ROWNUM < n`` / ``ROWNUM = 1`` (either side) -> the row cap.

    ``n`` is a number or a ``:name`` bind; a bind gives the cap as an expression that DuckDB
    evaluates in ``LIMIT`` (``floor(:n)``, ``ceil(:n) - 1``), clamped at zero.
    """
    if not isinstance(cond, exp.LTE | exp.LT | exp.EQ | exp.GTE | exp.GT):
        return None
    left, right = cond.this, cond.expression
    flipped = False
    if _is_rownum(right) and not _is_rownum(left):
        left, right, flipped = right, left, True
    if not _is_rownum(left):
        return None
    op = type(cond)
    if flipped:  # n >= ROWNUM  <=>  ROWNUM <= n
        op = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.EQ: exp.EQ}.get(op)
    if isinstance(right, exp.Placeholder):
        if op is exp.LTE:
            cap = f"FLOOR({right.sql(dialect='duckdb')})"
        elif op is exp.LT:
            cap = f"CEIL({right.sql(dialect='duckdb')}) - 1"
        else:
            return None
        return sqlglot.parse_one(f"GREATEST(CAST({cap} AS BIGINT), 0)", read="duckdb")
    if not (isinstance(right, exp.Literal) and not right.is_string):
        return None
    n = float(right.name)
    if op is exp.LTE:
        return max(int(n // 1), 0)
    if op is exp.LT:
        return max(int(-(-n // 1)) - 1, 0)
    if op is exp.EQ:
        return 1 if n == 1 else 0
    return None


def _smaller(a: int | exp.Expression | None, b: int | exp.Expression) -> int | exp.Expression:
    if a is None:
        return b
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    as_sql = [exp.Literal.number(v) if isinstance(v, int) else v for v in (a, b)]
    return exp.Least(this=as_sql[0], expressions=[as_sql[1]])


def _cap_expression(cap: int | exp.Expression) -> exp.Expression:
    return exp.Literal.number(cap) if isinstance(cap, int) else cap


def _conjuncts(cond: exp.Expression) -> list[exp.Expression]:
    if isinstance(cond, exp.And):
        return _conjuncts(cond.this) + _conjuncts(cond.expression)
    if isinstance(cond, exp.Paren):
        return _conjuncts(cond.this)
    return [cond]


def _rewrite_rownum(select: exp.Select) -> None:
    where = select.args.get("where")
    cap = None
    if where is not None:
        keep = []
        for c in _conjuncts(where.this):
            n = _rownum_limit(c)
            if n is None:
                keep.append(c)
            else:
                cap = _smaller(cap, n)
        if cap is not None:
            if keep:
                select.set("where", exp.Where(this=exp.and_(*keep)))
            else:
                select.set("where", None)
    if cap is not None:
        aggregated = bool(select.args.get("group") or select.args.get("distinct")) or any(
            isinstance(e.unalias(), exp.AggFunc) or e.find(exp.AggFunc) is not None
            for e in select.expressions
        )
        if aggregated:
            # ROWNUM counts rows before grouping: cap the rows read, then aggregate
            joins = select.args.get("joins")
            source = select.args.get("from_") or select.args.get("from")
            if joins or source is None:
                raise QueryError(
                    "ROWNUM with GROUP BY, DISTINCT or an aggregate over a join cannot be "
                    "translated: cap the rows in a subquery, e.g. SELECT COUNT(*) FROM "
                    "(SELECT * FROM ... WHERE ROWNUM <= n)"
                )
            inner = exp.select("*").from_(source.this.copy())
            if select.args.get("where") is not None:
                inner.set("where", select.args["where"].copy())
                select.set("where", None)
            inner = inner.limit(_cap_expression(cap))
            alias = source.this.alias_or_name
            source.set("this", exp.Subquery(this=inner, alias=exp.TableAlias(
                this=exp.to_identifier(alias))))
        else:
            old = select.args.get("limit")
            if old is not None and isinstance(old.expression, exp.Literal):
                cap = _smaller(cap, int(old.expression.name))
            select.set("limit", exp.Limit(expression=_cap_expression(cap)))
    for col in list(select.find_all(exp.Column)):
        if _is_rownum(col) and col.parent_select is select:
            col.replace(exp.Window(this=exp.RowNumber()))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and not node.db and node.name.upper() == "DUAL":
        alias = node.alias or "DUAL"
        return exp.Subquery(this=sqlglot.parse_one("SELECT 'X' AS DUMMY"),
                            alias=exp.TableAlias(this=exp.to_identifier(alias)))
    if isinstance(node, exp.Anonymous) and node.name.upper() == "BITAND" and len(
            node.expressions) == 2:
        a, b = node.expressions
        return exp.Paren(this=exp.BitwiseAnd(this=a.copy(), expression=b.copy()))
    if isinstance(node, exp.Fetch):
        opts = node.args.get("limit_options")
        if opts is not None and opts.args.get("percent"):
            raise QueryError("FETCH FIRST n PERCENT is not supported on this catalog: use "
                             "FETCH FIRST n ROWS ONLY")
        if opts is not None and opts.args.get("with_ties"):
            raise QueryError("FETCH FIRST n ROWS WITH TIES is not supported on this catalog: "
                             "use FETCH FIRST n ROWS ONLY")
    return node


def to_duckdb(stmt: Statement) -> str:
    """Translate a parsed Oracle statement into DuckDB SQL.

    Raises
    ------
    QueryError
        The statement uses an Oracle form that has no faithful DuckDB translation.
    """
    if stmt.tree is None:
        raise QueryError("the SQL could not be parsed; check the statement (Oracle syntax)")
    if "duckdb" not in stmt.translations:
        stmt.translations["duckdb"] = _translate_to_duckdb(stmt.tree)
    return stmt.translations["duckdb"]


def _translate_to_duckdb(tree: exp.Expression) -> str:
    tree = tree.copy()
    if any(n.args.get("join_mark") for n in tree.find_all(exp.Column)):
        tree = transforms.eliminate_join_marks(tree)
    for select in list(tree.find_all(exp.Select)):
        _rewrite_rownum(select)
    tree = tree.transform(_rewrite)
    try:
        return tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise QueryError(
            f"this Oracle SQL has no DuckDB translation: {str(exc).splitlines()[0]}; "
            "rewrite that part with standard SQL"
        ) from None

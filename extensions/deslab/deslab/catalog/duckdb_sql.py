"""Oracle SQL -> DuckDB SQL that keeps Oracle's meaning.

A parsed statement (:func:`deslab.catalog.dialect.parse`) is rewritten bottom-up: tables
(``DUAL``, catalog schemas, ``SAMPLE``), Oracle's NULL-as-empty-string rules for ``||``,
``CONCAT``, ``''`` and ``REPLACE``, ``MOD(m, 0)``, ``BITAND``, ``TO_CHAR``/``TO_NUMBER``
formats, ``TRUNC(date)``, ``USER``, ``SYSTIMESTAMP``; then each SELECT's ``ROWNUM``
(:mod:`deslab.catalog.rownum`). Forms without a faithful translation raise a
:class:`QueryError` naming the construct, its position and what to write instead.
"""

from __future__ import annotations

import os
import re

import sqlglot
from sqlglot import exp, transforms
from sqlglot.errors import SqlglotError

from deslab.catalog import oracle_text, rownum
from deslab.catalog.dialect import Statement
from deslab.catalog.numformat import to_char_sql
from deslab.errors import QueryError
from deslab.settings import settings

_DATE_UNITS = {"DD": "day", "DDD": "day", "J": "day", "DAY": "day", "MM": "month",
               "MON": "month", "MONTH": "month", "RM": "month", "YYYY": "year", "YYY": "year",
               "YY": "year", "Y": "year", "YEAR": "year", "SYYYY": "year", "Q": "quarter",
               "HH": "hour", "HH12": "hour", "HH24": "hour", "MI": "minute", "IW": "week",
               "WW": "week", "W": "week"}


class _Translator:
    """One statement's Oracle -> DuckDB rewrite (errors name the construct's position)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.user = _session_user()
        self.schemas = settings().catalog_schemas

    def at(self, pattern: str) -> str:
        offset = oracle_text.find(self.text, pattern)
        return oracle_text.where(self.text, offset) if offset is not None else ""

    def refuse(self, what: str, pattern: str, instead: str) -> QueryError:
        return QueryError(f"{what}{self.at(pattern)} cannot be translated for this catalog: "
                          f"{instead}; nothing was run")

    # -- tree rewrites -------------------------------------------------------------------
    def table(self, node: exp.Table) -> exp.Expression:
        if node.db and node.db.upper() in self.schemas and not node.catalog:
            node.set("db", None)
        if isinstance(node.this, exp.Identifier) and not node.db and \
                node.name.upper() == "DUAL":
            alias = node.alias or "DUAL"
            return exp.Subquery(this=sqlglot.parse_one("SELECT 'X' AS DUMMY"),
                                alias=exp.TableAlias(this=exp.to_identifier(alias)))
        sample = node.args.get("sample")
        if sample is not None:
            self.sample(sample)
        return node

    def sample(self, sample: exp.TableSample) -> None:
        method = sample.args.get("method")
        block = method is not None and method.name.upper() == "BLOCK"
        if sample.args.get("percent") is None:
            raise self.refuse("SAMPLE without a percentage", r"\bSAMPLE\b",
                              "write SAMPLE(p) with p the percentage of rows, e.g. SAMPLE(1)")
        # Oracle's SAMPLE(p) picks each row with probability p % (row sampling);
        # SAMPLE BLOCK picks blocks of rows: DuckDB's Bernoulli and system sampling
        sample.set("method", exp.Var(this="SYSTEM" if block else "BERNOULLI"))

    def column(self, node: exp.Column) -> exp.Expression:
        if node.args.get("db") is not None and node.db.upper() in self.schemas:
            node.set("db", None)
        if not node.table and node.name.upper() in ("USER", "UID") and \
                not node.this.args.get("quoted"):
            # Oracle: the name of the session's account; here, the Unix account's
            return exp.Literal.string(self.user) if node.name.upper() == "USER" else \
                exp.Literal.number(os.getuid())
        return node

    def node(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table):
            return self.table(node)
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Literal) and node.is_string and node.name == "" and \
                not node.meta.get("empty"):
            # Oracle stores '' as NULL: '' IS NULL is true, x = '' never is
            return exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
        if isinstance(node, exp.DPipe | exp.Concat):
            parts = _concat_parts(node)
            # Oracle: NULL operands count as ''; and the empty result is NULL again
            return exp.Nullif(this=exp.Anonymous(this="CONCAT", expressions=parts),
                              expression=_empty())
        if isinstance(node, exp.Replace) or (isinstance(node, exp.Anonymous) and
                                             node.name.upper() == "REPLACE"):
            args = [node.this, *node.expressions] if isinstance(node, exp.Anonymous) else \
                [node.this, node.expression, node.args.get("replacement")]
            args = [a for a in args if a is not None]
            if len(args) in (2, 3):
                # Oracle: a NULL or missing replacement removes the search string; a NULL
                # search string leaves the text as it is
                text, search = args[0].copy(), args[1].copy()
                repl = args[2].copy() if len(args) == 3 else _empty()
                return exp.Coalesce(this=exp.Anonymous(this="REPLACE", expressions=[
                    text, search, exp.Coalesce(this=repl, expressions=[_empty()])]),
                    expressions=[text.copy()])
        if isinstance(node, exp.Mod):
            divisor = node.expression
            if isinstance(divisor, exp.Literal) and not divisor.is_string and \
                    float(divisor.name) != 0:
                return node
            # Oracle: MOD(m, 0) = m
            return exp.Case(ifs=[exp.If(this=exp.EQ(this=divisor.copy(),
                                                    expression=exp.Literal.number(0)),
                                        true=node.this.copy())], default=node)
        if isinstance(node, exp.Anonymous) and node.name.upper() == "BITAND" and len(
                node.expressions) == 2:
            a, b = node.expressions
            return exp.Paren(this=exp.BitwiseAnd(this=a.copy(), expression=b.copy()))
        if isinstance(node, exp.Pad | exp.Length | exp.Substring | exp.StrPosition | exp.Upper |
                      exp.Lower) and not (isinstance(node.this, exp.Literal) and
                                          node.this.is_string):
            # Oracle converts a number given to a string function into text first
            node.set("this", exp.cast(node.this.copy(), exp.DataType.build("VARCHAR")))
            return node
        if isinstance(node, exp.ToChar):
            return self.to_char(node)
        if isinstance(node, exp.ToNumber):
            return self.to_number(node)
        if isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
            unit = node.args.get("unit")
            if unit is not None:
                name = unit.name.upper().strip("'")
                if name not in _DATE_UNITS:
                    raise self.refuse(f"TRUNC with the format {name!r}", r"\bTRUNC\b",
                                      "use one of " + ", ".join(sorted(_DATE_UNITS)))
                node.set("unit", exp.Literal.string(_DATE_UNITS[name]))
            return node
        if isinstance(node, exp.Anonymous) and node.name.upper() == "SYSTIMESTAMP":
            return exp.CurrentTimestamp()
        if isinstance(node, exp.Fetch):
            opts = node.args.get("limit_options")
            if opts is not None and opts.args.get("percent"):
                raise self.refuse("FETCH FIRST n PERCENT", r"\bPERCENT\b",
                                  "use FETCH FIRST n ROWS ONLY, or SAMPLE(p) for a share of "
                                  "the rows")
            if opts is not None and opts.args.get("with_ties"):
                raise self.refuse("FETCH FIRST n ROWS WITH TIES", r"\bTIES\b",
                                  "use FETCH FIRST n ROWS ONLY")
        if isinstance(node, exp.Connect):
            raise self.refuse("CONNECT BY", r"\bCONNECT\b",
                              "write the hierarchy with a recursive WITH query")
        return node

    def to_char(self, node: exp.ToChar) -> exp.Expression:
        fmt = node.args.get("format")
        if fmt is None:
            return exp.cast(node.this.copy(), exp.DataType.build("VARCHAR"))
        if not (isinstance(fmt, exp.Literal) and fmt.is_string):
            raise self.refuse("TO_CHAR with a format that is not a literal", r"\bTO_CHAR\b",
                              "write the format as a string literal, e.g. TO_CHAR(x, '990.99')")
        sql = to_char_sql(node.this.sql(dialect="duckdb"), fmt.name)
        if sql is None:
            raise self.refuse(f"TO_CHAR with the number format {fmt.name!r}",
                              r"\bTO_CHAR\b", "use a format of 9, 0, comma and period, "
                              "optionally after FM (e.g. 'FM99990.000'), or ROUND(x, n)")
        return sqlglot.parse_one(sql, read="duckdb")

    def to_number(self, node: exp.ToNumber) -> exp.Expression:
        fmt = node.args.get("format")
        text = node.this.copy()
        if fmt is not None:
            if not (isinstance(fmt, exp.Literal) and fmt.is_string and
                    re.fullmatch(r"(FM)?[90,.GD]*", fmt.name.upper())):
                raise self.refuse("TO_NUMBER with this format", r"\bTO_NUMBER\b",
                                  "use a format of 9, 0, comma and period, or no format")
            text = exp.Anonymous(this="REPLACE", expressions=[
                exp.cast(text, exp.DataType.build("VARCHAR")), exp.Literal.string(","),
                exp.Literal.string("")])
        return exp.cast(exp.Anonymous(this="TRIM", expressions=[
            exp.cast(text, exp.DataType.build("VARCHAR"))]), exp.DataType.build("DOUBLE"))


def _bottom_up(node: exp.Expression, fun) -> exp.Expression:
    """Apply ``fun`` to every node, children first (so a rewritten node is built from
    rewritten parts)."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            new = _bottom_up(value, fun)
            if new is not value:
                node.set(key, new)
        elif isinstance(value, list):
            node.set(key, [_bottom_up(v, fun) if isinstance(v, exp.Expression) else v
                           for v in value])
    return fun(node)


def _empty() -> exp.Literal:
    """A '' of DESlab's own (Oracle's '' written by a user becomes NULL; this one stays)."""
    lit = exp.Literal.string("")
    lit.meta["empty"] = True
    return lit


def _concat_parts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.DPipe):
        return _concat_parts(node.this) + _concat_parts(node.expression)
    if isinstance(node, exp.Concat):
        return [p for e in node.expressions for p in _concat_parts(e)]
    if isinstance(node, exp.Nullif) and isinstance(node.this, exp.Anonymous) and \
            node.this.name.upper() == "CONCAT":
        return list(node.this.expressions)
    return [node.copy()]


def _session_user() -> str:
    import getpass

    try:
        return getpass.getuser().upper()
    except (KeyError, OSError):
        return str(os.getuid())


def to_duckdb(stmt: Statement) -> str:
    """Translate a parsed Oracle statement into DuckDB SQL.

    Raises
    ------
    QueryError
        The statement uses an Oracle form that has no faithful DuckDB translation; the
        message names it, its position and what to write instead.
    """
    if stmt.tree is None:
        raise QueryError("the SQL could not be parsed; check the statement (Oracle syntax)")
    if "duckdb" not in stmt.translations:
        stmt.translations["duckdb"] = _translate_to_duckdb(stmt)
    return stmt.translations["duckdb"]


def _translate_to_duckdb(stmt: Statement) -> str:
    tree = stmt.tree.copy()
    tr = _Translator(stmt.sql)
    for select in tree.find_all(exp.Select):
        select.set("hint", None)  # optimizer hints mean nothing to DuckDB
        if select.args.get("sample") is not None:
            raise tr.refuse("SAMPLE after a table alias", r"\bSAMPLE\b",
                            "write SAMPLE before the alias, as Oracle requires: "
                            "FROM DR2_MAIN SAMPLE(1) m")
    if any(n.args.get("join_mark") for n in tree.find_all(exp.Column)):
        tree = transforms.eliminate_join_marks(tree)
    tree = _bottom_up(tree, tr.node)
    for select in list(tree.find_all(exp.Select)):
        rownum.rewrite(select, tr.at)
    try:
        return tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as exc:
        detail = str(exc).splitlines()[0]
        m = re.search(r"expression '(\w+)'|Unsupported (\w+)", detail)
        name = (m.group(1) or m.group(2)) if m else ""
        where = tr.at(rf"\b{re.escape(name)}\b") if name else ""
        raise QueryError(
            f"this Oracle SQL has no DuckDB translation{where}: {detail}; rewrite that part "
            "with standard SQL; nothing was run") from None

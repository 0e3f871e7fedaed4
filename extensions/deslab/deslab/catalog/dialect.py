"""Oracle SQL in, a checked statement out; Oracle -> DuckDB translation with sqlglot.

Users write Oracle SQL everywhere. :func:`parse` checks that the text is one read-only query
(see :mod:`deslab.catalog.guard`), refuses what Oracle itself refuses, resolves database
links, names unaliased result columns as Oracle does and finds the tables and ``:name`` bind
variables; :func:`to_duckdb` rewrites it for DuckDB keeping Oracle's meaning: ``ROWNUM`` in
Oracle's order of operations (:mod:`deslab.catalog.rownum`), ``SAMPLE(p)`` as row (Bernoulli)
sampling, ``||``/``CONCAT`` and ``''`` treating NULL as the empty string, ``MOD(m, 0) = m``,
``NVL``/``NVL2``/``DECODE``/``BITAND``/``TO_CHAR``/``TO_NUMBER``/``TRUNC``, ``dual``,
``USER``, ``SYSDATE``, ``(+)`` outer joins and ``:name`` binds (``$name``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp, transforms
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from deslab.catalog import guard, oracle_text, rownum
from deslab.catalog.numformat import to_char_sql
from deslab.errors import QueryError
from deslab.settings import settings

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
    oracle_sql : str
        The SQL sent to Oracle: as written, without database links that name this catalog.
    """

    sql: str
    explain: bool = False
    tree: exp.Expression | None = None
    tables: list[str] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    translations: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    oracle_sql: str = ""


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
    guard.check_packages(text)
    conf = settings()
    oracle_sql = oracle_text.resolve_links(text, conf.catalog_links)
    toks = oracle_text.tokens(text)
    oracle_text.check_syntax(text, toks)
    try:
        trees = [t for t in sqlglot.parse(oracle_text.legacy_sample_block(oracle_sql),
                                          read="oracle") if t is not None]
    except SqlglotError as exc:
        if allow_unparsed and ";" not in text:
            return Statement(sql=text, explain=explain, oracle_sql=oracle_sql)
        raise _parse_error(text, exc) from None
    if len(trees) != 1:
        raise QueryError("only one statement can run at a time: remove the extra statements "
                         "after the first ';'")
    tree = trees[0]
    guard.check_tree(tree)
    tree = normalize_identifiers(tree, dialect="oracle")
    _name_columns(tree, text, toks)
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
    return Statement(sql=text, explain=explain, tree=tree, tables=tables, binds=binds,
                     oracle_sql=oracle_sql)


def to_oracle(stmt: Statement) -> str:
    """The SQL as Oracle runs it: as written, without database links naming this catalog."""
    return stmt.oracle_sql or stmt.sql


# pseudo-columns that translate into something else: their result column keeps the name
_PSEUDO = frozenset({"ROWNUM", "USER", "UID", "SYSDATE", "SYSTIMESTAMP"})


def _textual_selects(node: exp.Expression) -> list[exp.Select]:
    """The SELECTs of a tree in the order their keyword appears in the text."""
    out: list[exp.Select] = []

    def walk(n: exp.Expression) -> None:
        with_ = n.args.get("with_")
        if with_ is not None:
            walk(with_)
        if isinstance(n, exp.Select):
            out.append(n)
        for key in n.arg_types:
            if key == "with_":
                continue
            value = n.args.get(key)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression):
                    walk(child)

    walk(node)
    return out


def _name_columns(tree: exp.Expression, text: str, toks: list) -> None:
    """Alias every unaliased computed select item with the name Oracle gives it (its text,
    squeezed and upper-cased: ``COUNT(*)``, ``MAG_AUTO_G-MAG_AUTO_R``), so DuckDB returns
    the same column names as Oracle."""
    sources = oracle_text.select_lists(text, toks)
    selects = _textual_selects(tree)
    aligned = len(sources) == len(selects)
    for k, select in enumerate(selects):
        items = sources[k] if aligned and len(sources[k]) == len(select.expressions) else None
        for i, e in enumerate(list(select.expressions)):
            if isinstance(e, exp.Alias | exp.Star):
                continue
            if isinstance(e, exp.Column) and (isinstance(e.this, exp.Star) or e.table
                                              or e.name.upper() not in _PSEUDO):
                continue
            source = items[i] if items is not None else e.sql(dialect="oracle")
            e.replace(exp.alias_(e.copy(), exp.to_identifier(oracle_text.oracle_name(source),
                                                             quoted=True)))


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

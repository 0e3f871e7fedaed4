"""Oracle SQL in, a checked statement out.

Users write Oracle SQL everywhere. :func:`parse` checks that the text is one read-only query
(see :mod:`deslab.catalog.guard`), refuses what Oracle itself refuses, resolves database
links, names unaliased result columns as Oracle does and finds the tables and ``:name`` bind
variables. :mod:`deslab.catalog.duckdb_sql` rewrites the statement for DuckDB keeping
Oracle's meaning; Oracle gets it as written (:func:`to_oracle`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from deslab.catalog import guard, oracle_text
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


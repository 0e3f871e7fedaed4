"""The up-front read-only guard: only queries reach the catalog.

The database enforces read-only itself (DuckDB is opened read-only with external access
disabled and its configuration locked; the Oracle account has SELECT grants only). This guard
refuses anything else *before* it is sent, so a user gets a clear message instead of a
database error: DDL, DML, ATTACH, COPY, PRAGMA, SET, transactions, ``SELECT ... INTO``,
``FOR UPDATE`` and table functions that read files or run other SQL are all refused, and so
are Oracle's packages and types that reach outside the database or run other SQL
(``UTL_HTTP``, ``UTL_FILE``, ``DBMS_*``, ``HTTPURITYPE``, anything in ``SYS``), in any case,
quoted or not, wherever they appear.
"""

from __future__ import annotations

import re

from sqlglot import exp

from deslab.catalog.oracle_text import mask, where
from deslab.errors import QueryError, ReadOnlyError

ALLOWED = "SELECT, WITH ... SELECT, EXPLAIN PLAN FOR SELECT"

# functions that read files, the environment or run SQL given as a string
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_\w*|glob|parquet_\w*|sniff_csv|getenv|current_setting|pragma_\w*|query|"
    r"query_table|iceberg_\w*|delta_scan|sqlite_\w*|postgres_\w*|mysql_\w*|csv_scan|"
    r"json_scan|duckdb_secrets|which_secret|load_\w*|install_\w*|utl_\w*|dbms_\w*)$",
    re.IGNORECASE,
)

_FILE_LIKE = re.compile(r"[/\\.]|^~")
_COMMENT = re.compile(r"(--[^\n]*(\n|$))|(/\*.*?\*/)", re.DOTALL)
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z_]+)")


def strip_comments(sql: str) -> str:
    """The SQL without ``--`` and ``/* */`` comments (string literals are not special-cased,
    which only matters for the first-keyword check below)."""
    return _COMMENT.sub(" ", sql)


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased (``""`` for an empty statement)."""
    m = _FIRST_WORD.match(strip_comments(sql))
    return m.group(1).upper() if m else ""


def refuse(what: str) -> ReadOnlyError:
    if " refused" not in what:
        what += " is refused"
    return ReadOnlyError(
        f"{what}: the catalog is read-only and only queries run "
        f"({ALLOWED}); nothing was changed"
    )


STATEMENT_KEYWORDS = frozenset(
    "INSERT UPDATE DELETE MERGE UPSERT REPLACE CREATE DROP ALTER TRUNCATE RENAME COMMENT "
    "ATTACH DETACH COPY PRAGMA SET RESET CALL EXEC EXECUTE BEGIN DECLARE COMMIT ROLLBACK "
    "SAVEPOINT START GRANT REVOKE LOCK INSTALL LOAD FORCE EXPORT IMPORT CHECKPOINT VACUUM USE "
    "DESCRIBE SHOW SUMMARIZE ANALYZE FLASHBACK PURGE AUDIT NOAUDIT PREPARE DEALLOCATE".split()
)


def check_keyword(sql: str) -> None:
    """Refuse a statement whose first keyword does not start a query.

    Raises
    ------
    ReadOnlyError
        The statement is one that changes something or is not a query (INSERT, ATTACH, ...).
    QueryError
        The first word is not an SQL statement keyword at all (a typo).
    """
    word = first_keyword(sql)
    if word in ("SELECT", "WITH", "EXPLAIN"):
        return
    if word in STATEMENT_KEYWORDS:
        raise refuse(f"{word} statements are refused")
    raise QueryError(
        f"the SQL starts with {word!r}, which does not begin a query: start with SELECT or "
        "WITH (or EXPLAIN PLAN FOR SELECT ...)"
        if word
        else "the SQL does not begin with a keyword: start with SELECT or WITH"
    )


_STRING = re.compile(r"'(?:[^']|'')*'")
_CALL = re.compile(r"\b([A-Za-z_][\w$#]*)\s*\(")


def check_functions(sql: str) -> None:
    """Refuse calls of file-reading or SQL-running functions even where sqlglot cannot parse
    the statement (string literals and comments are ignored)."""
    text = _STRING.sub("''", strip_comments(sql))
    for m in _CALL.finditer(text):
        if _FORBIDDEN_FUNCTION.match(m.group(1)):
            raise refuse(f"the function {m.group(1).upper()}()")


# Oracle packages and object types that reach the network, files, the scheduler or run SQL
# given as a string; SYS owns the data dictionary's internals. Matched as whole identifiers,
# quoted or not, case-insensitive, outside string literals and comments.
_PACKAGE = re.compile(
    r'(?<![\w$#])"?(UTL_[\w$#]*|DBMS_[\w$#]*|OWA_[\w$#]*|HTP|HTF|HTTPURITYPE|DBURITYPE|'
    r'XDBURITYPE|URIFACTORY)"?(?![\w$#])', re.IGNORECASE)
_SYS = re.compile(r'(?<![\w$#])"?SYS"?\s*\.', re.IGNORECASE)


def check_packages(sql: str) -> None:
    """Refuse Oracle packages that can reach outside the database (``UTL_HTTP``,
    ``UTL_TCP``, ``UTL_SMTP``, ``UTL_FILE``, ``UTL_INADDR``, ``DBMS_*`` such as
    ``DBMS_XMLGEN.GETXML`` and ``DBMS_PIPE``, ``HTTPURITYPE``) and any ``SYS.`` object.

    Raises
    ------
    ReadOnlyError
        With the name and its position.
    """
    text = mask(sql)
    m = _PACKAGE.search(text)
    if m:
        name = m.group(1).upper()
        hint = " (for a random subset of rows use SAMPLE(p))" if name == "DBMS_RANDOM" else ""
        raise refuse(f"the Oracle package {name}{where(sql, m.start())}, which can reach "
                     f"outside the database, is refused{hint}")
    m = _SYS.search(text)
    if m:
        raise refuse(f"the SYS schema{where(sql, m.start())} (the database's own objects) is "
                     "refused")


def check_tree(tree: exp.Expression) -> None:
    """Refuse a parsed statement that is not a pure query.

    Parameters
    ----------
    tree : sqlglot.exp.Expression
        One parsed statement.

    Raises
    ------
    ReadOnlyError
        The statement is not a query, or the query writes, locks or reads outside the catalog.
    """
    if not isinstance(tree, exp.Query):
        raise refuse(f"{type(tree).__name__.upper()} statements are refused")
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise refuse("SELECT ... INTO")
        if isinstance(node, exp.Lock):
            raise refuse("SELECT ... FOR UPDATE (it locks rows)")
        if isinstance(node, exp.DML | exp.DDL | exp.Command | exp.Pragma | exp.Copy | exp.Set):
            raise refuse(f"a nested {type(node).__name__.upper()} statement")
        if isinstance(node, exp.Table) and (
            isinstance(node.this, exp.Literal) or _FILE_LIKE.search(node.name or "")
        ):
            raise refuse(f"reading the file {node.name!r}")
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Func):
            fname = node.this.name if isinstance(node.this, exp.Anonymous) else node.this.sql_name()
            raise refuse(f"the table function {fname.upper()}()")
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if _FORBIDDEN_FUNCTION.match(name or ""):
                raise refuse(f"the function {name.upper()}()")
            if type(node).__name__.startswith("Read"):
                raise refuse(f"the file-reading function {node.sql_name()}()")

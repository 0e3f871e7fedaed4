"""``%%desql`` and friends: thin IPython wrappers over :mod:`deslab.catalog.api`.

``%load_ext deslab`` registers:

``%%desql [options] [VAR <<]``
    run the Oracle SQL in the cell; the result shows as an escaped HTML table with its row
    count and time and is returned (``t = %desql SELECT ...``) or stored in ``VAR``;
    ``:name`` binds come from the notebook's variables; ``-o FILE`` exports; ``--explain``
    shows the plan, ``--check`` only checks; ``--async`` submits a job and returns its handle.
``%desql_tables [PATTERN]``, ``%desql_columns PATTERN``, ``%desql_describe TABLE``
    catalog metadata.

Settings (``%config DesqlMagic.timeout = 60`` or an IPython profile): see :class:`DesqlMagic`.
Inside a ``%%desql`` cell, Tab completes table and column names.
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable

from deslab.magic_errors import usage_errors

_ASSIGN = re.compile(r"^\s*(?P<var>[A-Za-z_][A-Za-z0-9_]*)\s*<<\s*(?P<rest>.*)$", re.DOTALL)


@magics_class
class DesqlMagic(Magics, Configurable):
    """The ``%%desql`` magics. Settings are traitlets (``%config DesqlMagic.<name> = ...``)."""

    timeout = Float(
        30.0,
        help="Seconds a quick query may run before it is cancelled on the server "
        "(--timeout overrides it for one cell). Long queries belong in jobs (--async).",
    ).tag(config=True)
    limit = Int(
        100_000,
        help="Row cap of a quick query (--limit overrides it for one cell; 0 means no cap). "
        "Exports with -o are never capped.",
    ).tag(config=True)
    display_rows = Int(
        20, help="How many rows of a result are shown in the notebook (all are returned)."
    ).tag(config=True)
    catalog = Unicode(
        "",
        help="Catalog URL to query instead of $DESLAB_CATALOG (e.g. duckdb:///path/x.duckdb). "
        "Never put a password in it: it comes from DESLAB_CATALOG_PASSWORD_FILE.",
    ).tag(config=True)
    show_time = Bool(
        True, help="Print the row count and query time above each result."
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        Configurable.__init__(self, config=getattr(shell, "config", None), **kwargs)
        Magics.__init__(self, shell=shell)
        if shell is not None and self not in getattr(shell, "configurables", []):
            shell.configurables.append(self)

    # -- helpers -------------------------------------------------------------------------
    def _catalog(self) -> str | None:
        return self.catalog or None

    def _binds(self, sql: str, local_ns: dict | None) -> dict:
        """``sql``'s binds from the notebook's variables; the API reads the SQL."""
        from deslab.catalog.api import bind_values

        ns = dict(self.shell.user_ns if self.shell is not None else {})
        ns.update(local_ns or {})
        return bind_values(sql, ns, catalog=self._catalog())

    # -- magics --------------------------------------------------------------------------
    @magic_arguments()
    @argument("-o", "--output", default=None,
              help="write the whole result to this file (.fits .h5 .csv .csv.gz .parquet .vot)")
    @argument("--limit", type=int, default=None, help="row cap of the quick query (0: none)")
    @argument("--timeout", type=float, default=None, help="seconds before the query is cancelled")
    @argument("--async", dest="run_async", action="store_true",
              help="submit as a job to the job service and return its handle")
    @argument("--name", default=None, help="name of the job (--async)")
    @argument("--format", default=None, help="file format, overriding the extension (-o)")
    @argument("--compression", default=None, help="compression of the file (-o)")
    @argument("--explain", action="store_true", help="show the execution plan, do not run")
    @argument("--check", action="store_true", help="only check the SQL (parse, read-only)")
    @argument("words", nargs="*", help="VAR << to store the result in VAR; SQL (line magic)")
    @line_cell_magic
    @usage_errors
    def desql(self, line: str = "", cell: str | None = None, local_ns: dict | None = None):
        """Run Oracle SQL on the survey catalog.

        ::

            %%desql [-o FILE] [--limit N] [--timeout S] [--async] [--explain] [--check] [VAR <<]
            SELECT ... WHERE RA BETWEEN :ra_min AND :ra_max
        """
        opts, rest = split_options(line)
        try:
            args = parse_argstring(self.desql, opts)
        except UsageError:
            raise
        except SystemExit:
            raise UsageError("bad %%desql options; see %%desql? for the valid ones") from None
        var = None
        m = _ASSIGN.match(rest)
        if m:
            var, rest = m.group("var"), m.group("rest")
        if cell is not None:
            if rest.strip():
                raise UsageError(f"unexpected {rest.strip()!r} after the %%desql options: put "
                                 "the SQL in the cell body (VAR << stores the result in VAR)")
            sql = cell.strip()
        else:
            sql = rest.strip()
        if not sql:
            raise UsageError("no SQL given: write the query in the cell below %%desql")
        from deslab.catalog import api

        catalog = self._catalog()
        if args.check:
            translated = api.check(sql, catalog=catalog)
            print("OK: one read-only query. It runs on the catalog as:")
            print(translated)
            return None
        binds = self._binds(sql, local_ns)
        if args.explain:
            print(api.explain(sql, binds=binds, catalog=catalog))
            return None
        if args.run_async:
            from deslab.jobs.client import submit_query

            kwargs = {"name": args.name, "format": args.format,
                      "compression": args.compression, "binds": binds or None}
            if args.timeout is not None:
                kwargs["timeout"] = args.timeout
            job = submit_query(sql, args.output, **kwargs)
            if var:
                self.shell.user_ns[var] = job
                return None
            return job
        if args.output:
            result = api.query_to_file(sql, args.output, binds=binds, format=args.format,
                                       compression=args.compression,
                                       timeout=args.timeout, catalog=catalog)
            names = ", ".join(str(p) for p in result.paths)
            print(f"{result.rows} rows written to {names} ({result.bytes} bytes, "
                  f"{result.seconds:.2f} s)")
            if var:
                self.shell.user_ns[var] = result
                return None
            return result
        limit = self.limit if args.limit is None else args.limit
        if limit is not None and limit < 0:
            raise UsageError("--limit must be 0 (no cap) or a positive number of rows")
        timeout = self.timeout if args.timeout is None else args.timeout
        if timeout is not None and timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds")
        from deslab.catalog.display import ResultTable

        table = api.query(sql, binds=binds, timeout=timeout, limit=limit or None,
                          catalog=catalog)
        result = ResultTable(table, copy=False)
        result.display_rows = self.display_rows
        result.show_summary = self.show_time
        if var:
            self.shell.user_ns[var] = result
            from IPython.display import HTML, display

            display(HTML(result._repr_html_()))
            return None
        return result

    @line_magic
    @usage_errors
    def desql_tables(self, line: str = ""):
        """``%desql_tables [PATTERN]``: the catalog's tables (name contains PATTERN)."""
        from deslab.catalog import api

        return api.find_tables(line.strip(), catalog=self._catalog())

    @line_magic
    @usage_errors
    def desql_columns(self, line: str = ""):
        """``%desql_columns PATTERN``: columns in any table whose name contains PATTERN."""
        from deslab.catalog import api

        return api.find_columns(line.strip(), catalog=self._catalog())

    @line_magic
    @usage_errors
    def desql_describe(self, line: str = ""):
        """``%desql_describe TABLE``: columns of TABLE with type, unit and description."""
        from deslab.catalog import api

        if not line.strip():
            raise UsageError("give a table name: %desql_describe DR2_MAIN")
        return api.describe_table(line.strip(), catalog=self._catalog())

    # keep a cell form of the old name working for people used to %%sql-like magics
    @cell_magic
    def desql_check(self, line: str, cell: str):
        """``%%desql_check``: the same as ``%%desql --check``."""
        return self.desql("--check " + line, cell)


_VALUE_OPTIONS = {"-o", "--output", "--limit", "--timeout", "--name", "--format",
                  "--compression"}
_FLAG_OPTIONS = {"--async", "--explain", "--check", "-h", "--help"}
_OPTION = re.compile(r"""\s*(-{1,2}[A-Za-z][\w-]*)(=|\s+|$)""")
_VALUE = re.compile(r"""\s*("[^"]*"|'[^']*'|\S+)""")


def split_options(line: str) -> tuple[str, str]:
    """The leading ``--options`` of a magic line, and the rest (SQL or ``VAR <<``) verbatim.

    Raises
    ------
    UsageError
        An unknown option, or an option that needs a value without one.
    """
    pos = 0
    while True:
        m = _OPTION.match(line, pos)
        if not m:
            break
        name = m.group(1)
        if name in _FLAG_OPTIONS:
            pos = m.end()
            continue
        if name not in _VALUE_OPTIONS:
            raise UsageError(f"unknown %desql option {name}: valid options are "
                             + ", ".join(sorted(_VALUE_OPTIONS | _FLAG_OPTIONS)))
        v = _VALUE.match(line, m.end())
        if not v:
            raise UsageError(f"the %desql option {name} needs a value")
        pos = v.end()
    return line[:pos], line[pos:]


# -- Tab completion inside %%desql cells ----------------------------------------------------

_names_cache: dict[str, tuple[list[str], dict[str, list[str]]]] = {}


def catalog_names(catalog: str | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """Table names and each table's column names (cached per catalog)."""
    from deslab.catalog import connect

    backend = connect(catalog)
    key = str(backend.url)
    if key not in _names_cache:
        tables = [t.name for t in backend.tables()]
        columns: dict[str, list[str]] = {}
        for c in backend.columns():
            columns.setdefault(c.table.upper(), []).append(c.name)
        _names_cache[key] = (tables, columns)
    return _names_cache[key]


def _match_case(name: str, typed: str) -> str:
    return name.lower() if typed and typed == typed.lower() and typed != typed.upper() else name


def complete_sql(cell_text: str, token: str, catalog: str | None = None) -> list[str]:
    """Table and column names that complete ``token`` in the SQL of a cell.

    ``alias.PRE`` completes the columns of the table bound to ``alias`` (or named so);
    a bare prefix completes tables and the columns of the tables the cell mentions (all
    columns when it mentions none).
    """
    tables, columns = catalog_names(catalog)
    prefix, _, stem = token.rpartition(".")
    upper_text = cell_text.upper()
    if prefix:
        owner = prefix.upper()
        table = owner
        if owner not in columns:
            for m in re.finditer(r"\b([A-Z0-9_$#]+)\s+(?:AS\s+)?" + re.escape(owner)
                                 + r"\b(?!\.)", upper_text):
                if m.group(1) in columns:
                    table = m.group(1)
                    break
        cands = columns.get(table, [])
        return [f"{prefix}.{_match_case(c, stem)}" for c in cands
                if c.upper().startswith(stem.upper())]
    mentioned = [t for t in tables if re.search(r"\b" + re.escape(t.upper()) + r"\b", upper_text)]
    cols: list[str] = []
    for t in mentioned or tables:
        for c in columns.get(t.upper(), []):
            if c not in cols:
                cols.append(c)
    out = [_match_case(n, stem) for n in [*tables, *cols] if n.upper().startswith(stem.upper())]
    return out


def _desql_matcher(context):
    """IPython completer (matcher API v2): names inside ``%%desql`` cells."""
    text = context.full_text or ""
    if not text.lstrip().startswith("%%desql") and "%desql " not in text:
        return {"completions": [], "suppress": False}
    token = context.token or ""
    # not on the magic's own option line
    if text.lstrip().startswith("%%desql") and context.cursor_line == 0:
        return {"completions": [], "suppress": False}
    try:
        names = complete_sql(text, token)
    except Exception:  # no catalog configured: completion is a nicety
        return {"completions": [], "suppress": False}
    from IPython.core.completer import SimpleCompletion

    return {
        "completions": [SimpleCompletion(text=n, type="sql") for n in names],
        "suppress": bool(names),
    }


def register_completer(ip: Any) -> None:
    from IPython.core.completer import context_matcher

    matcher = context_matcher()(_desql_matcher)
    completer = ip.Completer
    if not any(getattr(m, "__name__", "") == "_desql_matcher" for m in completer.custom_matchers):
        completer.custom_matchers.append(matcher)


def load_ipython_extension(ip: Any) -> None:
    """Register the magics and the ``%%desql`` completer (``%load_ext deslab``)."""
    ip.register_magics(DesqlMagic(ip))
    register_completer(ip)
    from deslab.jobs.magics import register as register_jobs_magics

    register_jobs_magics(ip)  # %desjobs
    # highlight %%desql cells as SQL in the classic notebook / lab code mirror (best effort)

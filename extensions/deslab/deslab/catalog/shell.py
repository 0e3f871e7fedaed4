"""``deslab sql``: an interactive SQL shell in the spirit of easyaccess (prompt_toolkit).

Statements end with ``;``. After the ``;``:

``> out.fits``      write the whole result to a file (any export format) instead of printing
``< explain``       show the execution plan
``< check``         only check the statement (parse, read-only) and show how it will run

Commands (no ``;`` needed): ``describe_table NAME``, ``find_tables PATTERN``,
``find_tables_with_column PATTERN``, ``find_columns PATTERN``, ``set timeout S``,
``set limit N``, ``help``, ``exit``.
Tab completes commands, tables and columns; history is kept in ``$DESLAB_HOME/.deslab_sql_history``.
Ctrl-C cancels a running query (the session stays usable); Ctrl-D leaves.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from deslab.catalog.cli_common import add_catalog_argument
from deslab.errors import DeslabError

HELP = "interactive SQL shell on the catalog (easyaccess-style; Tab completion, history)"
PROMPT = "DESDB ~> "
CONTINUATION = "  ...> "
COMMANDS = ("describe_table", "find_tables", "find_tables_with_column", "find_columns", "set",
            "help", "exit", "quit")
SQL_WORDS = ("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "GROUP BY", "ORDER BY", "HAVING",
             "JOIN", "LEFT JOIN", "ON", "AS", "IN", "BETWEEN", "LIKE", "IS NULL", "COUNT",
             "DISTINCT", "ROWNUM", "FETCH FIRST", "ROWS ONLY", "WITH", "UNION", "NVL", "DECODE",
             "CASE", "WHEN", "THEN", "ELSE", "END", "EXPLAIN PLAN FOR")
_TAIL = re.compile(r";\s*(?:(?P<out>>)\s*(?P<file>\S+)|<\s*(?P<cmd>\w+))?\s*$", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds before a printed query is cancelled (default 30)")
    parser.add_argument("--limit", type=int, default=1000, metavar="N",
                        help="rows printed at most per query (default 1000; exports: all)")
    parser.add_argument("--history", default=None, metavar="FILE",
                        help="history file (default: $DESLAB_HOME/.deslab_sql_history)")


class Session:
    """The shell's state and the handling of one input (a command or a full statement)."""

    def __init__(self, catalog: str | None, timeout: float, limit: int,
                 out=None) -> None:
        from deslab.catalog import connect

        self.backend = connect(catalog)
        self.timeout = timeout
        self.limit = limit
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def names(self) -> list[str]:
        tables = [t.name for t in self.backend.tables()]
        cols = sorted({c.name for c in self.backend.columns()})
        return tables + cols

    def is_complete(self, text: str) -> bool:
        """A statement is complete at ``;`` (plus an optional ``> file`` / ``< cmd``);
        commands are complete at once."""
        stripped = text.strip()
        if not stripped:
            return True
        first = stripped.split()[0].lower()
        if first in COMMANDS:
            return True
        return bool(_TAIL.search(stripped))

    def handle(self, text: str) -> bool:
        """Run one input. Returns False when the user asked to leave."""
        from deslab.catalog import api
        from deslab.catalog.display import to_text

        stripped = text.strip()
        if not stripped:
            return True
        words = stripped.rstrip(";").split()
        first = words[0].lower()
        if first in ("exit", "quit"):
            return False
        if first == "help":
            self.say(__doc__.split("\n", 2)[2].strip())
            return True
        if first in ("describe_table", "find_tables", "find_tables_with_column", "find_columns"):
            arg = " ".join(words[1:])
            if first in ("describe_table", "find_tables_with_column") and not arg:
                self.say(f"usage: {first} {'NAME' if first == 'describe_table' else 'PATTERN'}")
                return True
            fn = getattr(api, first)
            table = fn(arg, catalog=self.backend)
            if first == "describe_table" and table.meta.get("description"):
                self.say(f"{table.meta['table']}: {table.meta['description']}")
            self.say("\n".join(table.pformat(max_lines=-1, max_width=-1)))
            return True
        if first == "set":
            return self._set(words[1:])
        m = _TAIL.search(stripped)
        sql = stripped[: m.start()] if m else stripped
        if m and m.group("out"):
            result = self._interruptible(lambda: api.query_to_file(
                sql, m.group("file"), catalog=self.backend))
            names = ", ".join(str(p) for p in result.paths)
            self.say(f"{result.rows} rows written to {names} ({result.bytes} bytes, "
                     f"{result.seconds:.2f} s)")
            return True
        cmd = (m.group("cmd") or "").lower() if m else ""
        if cmd == "check":
            self.say("OK: one read-only query. It runs on the catalog as:\n"
                     + api.check(sql, catalog=self.backend))
            return True
        if cmd == "explain":
            self.say(api.explain(sql, catalog=self.backend))
            return True
        if cmd:
            self.say(f"unknown '< {cmd}': use '< explain' or '< check'")
            return True
        table = self._interruptible(lambda: api.query(
            sql, timeout=self.timeout, limit=self.limit, catalog=self.backend))
        self.say(to_text(table, max_rows=self.limit))
        return True

    def _set(self, words: list[str]) -> bool:
        if len(words) != 2 or words[0].lower() not in ("timeout", "limit"):
            self.say("usage: set timeout SECONDS | set limit ROWS")
            return True
        try:
            value = float(words[1])
        except ValueError:
            self.say(f"not a number: {words[1]}")
            return True
        if value <= 0:
            self.say("the value must be positive")
        elif words[0].lower() == "timeout":
            self.timeout = value
            self.say(f"timeout is {value:g} s")
        else:
            self.limit = int(value)
            self.say(f"printing at most {self.limit} rows")
        return True

    def _interruptible(self, fn):
        """Run ``fn`` in a worker thread; Ctrl-C cancels the statement on the server."""
        box: dict = {}

        def work() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the main thread
                box["error"] = exc

        t = threading.Thread(target=work, daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.1)
        except KeyboardInterrupt:
            self.backend.interrupt()
            t.join(10)
            raise
        if "error" in box:
            raise box["error"]
        return box["value"]


def _completer(session: Session):
    from prompt_toolkit.completion import Completer, Completion

    class SqlCompleter(Completer):
        def __init__(self) -> None:
            self._names: list[str] | None = None

        def get_completions(self, document, complete_event) -> Iterable[Completion]:
            if self._names is None:
                try:
                    self._names = session.names()
                except DeslabError:
                    self._names = []
            word = document.get_word_before_cursor(pattern=re.compile(r"[\w.$#]+"))
            prefix, _, stem = word.rpartition(".")
            line_start = not document.text_before_cursor[: -len(word) or None].strip()
            cands = list(COMMANDS) if line_start else []
            cands += self._names + list(SQL_WORDS)
            low = stem == stem.lower() and stem != stem.upper()
            for c in cands:
                if c.upper().startswith(stem.upper()):
                    text = c.lower() if low and c not in COMMANDS else c
                    yield Completion(text, start_position=-len(stem))

    return SqlCompleter()


def run(args: argparse.Namespace) -> int:
    from deslab.settings import settings

    session = Session(args.catalog, args.timeout, args.limit)
    if not sys.stdin.isatty():
        return _run_script(session, sys.stdin.read())
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = Path(args.history) if args.history else settings().home / ".deslab_sql_history"
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        hist = FileHistory(str(history))
    except OSError:
        hist = None
    prompt = PromptSession(history=hist, completer=_completer(session),
                           complete_while_typing=False)
    session.say(f"DESlab SQL shell on {session.backend.url}. 'help' for help, Ctrl-D to leave.")
    buffer: list[str] = []
    while True:
        try:
            line = prompt.prompt(CONTINUATION if buffer else PROMPT)
        except KeyboardInterrupt:
            buffer = []
            continue
        except EOFError:
            session.say("bye")
            return 0
        buffer.append(line)
        text = "\n".join(buffer)
        if not session.is_complete(text):
            continue
        buffer = []
        try:
            if not session.handle(text):
                session.say("bye")
                return 0
        except KeyboardInterrupt:
            session.say("cancelled")
        except DeslabError as exc:
            session.say(f"error: {exc}")


def _run_script(session: Session, text: str) -> int:
    """Statements from a pipe: run each in turn; stop at the first error (exit code 2)."""
    buffer: list[str] = []
    for line in text.splitlines():
        buffer.append(line)
        joined = "\n".join(buffer)
        if session.is_complete(joined):
            buffer = []
            if not session.handle(joined):
                return 0
    if "\n".join(buffer).strip():
        session.handle("\n".join(buffer).rstrip().rstrip(";") + ";")
    return 0

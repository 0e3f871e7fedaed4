"""Oracle SQL as text: tokens and positions, Oracle's own syntax checks, database links,
and the names Oracle gives to unaliased result columns.

These work on the statement as the user wrote it (sqlglot's tree forgets spacing, comments
and some of Oracle's strictness), and are shared by both backends.
"""

from __future__ import annotations

import re

from sqlglot.dialects.oracle import Oracle
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from deslab.errors import QueryError

#: Oracle truncates the name of an unaliased expression column to its identifier limit
#: (128 bytes since 12.2; 30 before), see the ``SQL Language Reference``, "Database Object
#: Naming Rules".
NAME_LIMIT = 128

_STRING = re.compile(r"[nN]?'(?:[^']|'')*'|[qQ]'(\[.*?\]|\(.*?\)|\{.*?\}|<.*?>|(.).*?\2)'",
                     re.DOTALL)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_LINK = re.compile(r'(?P<table>[A-Za-z_][\w$#]*|"[^"]+")\s*@\s*(?P<link>[A-Za-z_][\w$#]*'
                   r'(?:\.[A-Za-z_][\w$#]*)*)')
_LEGACY_BLOCK = re.compile(r"\bSAMPLE\s+BLOCK\s*\(\s*([^,()]+?)\s*,\s*[^,()]+?\s*\)",
                           re.IGNORECASE)
_BAD_BEFORE = {TokenType.FROM, TokenType.R_PAREN, TokenType.WHERE, TokenType.GROUP_BY,
               TokenType.ORDER_BY, TokenType.HAVING, TokenType.UNION, TokenType.INTERSECT,
               TokenType.EXCEPT, TokenType.COMMA}


def mask(text: str) -> str:
    """``text`` with the contents of string literals and comments blanked out (same length,
    so offsets still point into the original)."""
    def blank(m: re.Match) -> str:
        s = m.group(0)
        return s[0] + " " * (len(s) - 2) + s[-1] if s.startswith(("'", "n'", "N'")) or \
            s[:2].lower() == "q'" else " " * len(s)

    out = _COMMENT.sub(lambda m: " " * len(m.group(0)), text)
    # comments first can blank a quote inside a comment; strings are found on that text
    out = _STRING.sub(blank, out)
    return _COMMENT.sub(lambda m: " " * len(m.group(0)), out)


def where(text: str, offset: int) -> str:
    """`` at line L, column C`` for a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f" at line {line}, column {col}"


def find(text: str, pattern: str) -> int | None:
    """Offset of the first match of the regular expression ``pattern`` (case-insensitive)
    outside string literals and comments, or None."""
    m = re.search(pattern, mask(text), re.IGNORECASE)
    return m.start() if m else None


def tokens(text: str) -> list[Token]:
    """The Oracle tokens of ``text`` (comments are dropped, offsets kept)."""
    try:
        return Oracle().tokenize(text)
    except SqlglotError as exc:
        raise QueryError(f"the SQL could not be read: {str(exc).splitlines()[0]}; check "
                         "quotes and comments (Oracle syntax)") from None


def check_syntax(text: str, toks: list[Token]) -> None:
    """Refuse what Oracle refuses but sqlglot accepts: a comma with nothing after it
    (``SELECT RA, DEC, FROM ...``)."""
    for tok, nxt in zip(toks, [*toks[1:], None], strict=True):
        if tok.token_type is TokenType.COMMA and (nxt is None or nxt.token_type in _BAD_BEFORE):
            after = f"before {nxt.text.upper()}" if nxt is not None else "at the end"
            raise QueryError(
                f"the SQL has a comma with nothing after it ({after}){where(text, tok.start)}: "
                "remove the comma or add the missing item (Oracle refuses this too: "
                "ORA-00936 missing expression)")


def links(text: str) -> list[tuple[int, int, str]]:
    """Database links in ``text``: (start, end) of ``@LINK`` and the link's upper-case name."""
    return [(m.start() + m.group(0).index("@"), m.end("link"), m.group("link").upper())
            for m in _LINK.finditer(mask(text))]


def resolve_links(text: str, local: tuple[str, ...]) -> str:
    """``text`` without the database links that name this catalog (blanked, so offsets
    stay); a link to another database is refused with its position."""
    out = text
    for start, end, link in links(text):
        if link.split(".")[0] not in local:
            names = ", ".join(local) or "none"
            raise QueryError(
                f"the database link @{link}{where(text, start)} names another database, which "
                f"this catalog cannot reach (links that name this catalog: {names}): query a "
                "table of this catalog without the link, e.g. FROM DR2_MAIN")
        out = out[:start] + " " * (end - start) + out[end:]
    return out


def legacy_sample_block(text: str) -> str:
    """Oracle's old ``SAMPLE BLOCK (percent, group)`` as ``SAMPLE BLOCK (percent)``: the
    group size tunes how Oracle reads blocks, not which share of the rows comes back."""
    masked = mask(text)
    out = text
    for m in reversed(list(_LEGACY_BLOCK.finditer(masked))):
        percent = text[m.start(1):m.end(1)]
        repl = f"SAMPLE BLOCK ({percent})"
        out = out[:m.start()] + repl.ljust(m.end() - m.start()) + out[m.end():]
    return out


def oracle_name(source: str) -> str:
    """The name Oracle gives an unaliased expression: its text without comments and spaces,
    upper case, at most :data:`NAME_LIMIT` characters (``count(*)`` -> ``COUNT(*)``,
    ``mag_auto_g - mag_auto_r`` -> ``MAG_AUTO_G-MAG_AUTO_R``). Oracle uppercases and squeezes
    string literals too (``'ab c'`` -> ``'ABC'``); this is what Oracle 12c-23ai describe, not
    documented as a rule, so it is checked against the describe output users report."""
    text = _COMMENT.sub("", source)
    return re.sub(r"\s+", "", text).upper()[:NAME_LIMIT]


def select_lists(text: str, toks: list[Token]) -> list[list[str]]:
    """For every ``SELECT`` in textual order, the source text of each item of its select
    list (split at top-level commas; hints, DISTINCT/UNIQUE/ALL skipped)."""
    out: list[list[str]] = []
    for i, tok in enumerate(toks):
        if tok.token_type is not TokenType.SELECT:
            continue
        j = i + 1
        while j < len(toks) and (toks[j].token_type in (TokenType.HINT, TokenType.DISTINCT,
                                                        TokenType.ALL)
                                 or toks[j].text.upper() == "UNIQUE"):
            j += 1
        depth = 0
        items: list[str] = []
        first = j
        while j < len(toks):
            t = toks[j]
            if t.token_type is TokenType.L_PAREN:
                depth += 1
            elif t.token_type is TokenType.R_PAREN:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and t.token_type in (TokenType.FROM, TokenType.UNION,
                                                 TokenType.INTERSECT, TokenType.EXCEPT,
                                                 TokenType.INTO, TokenType.SEMICOLON):
                break
            elif depth == 0 and t.token_type is TokenType.COMMA:
                items.append(text[toks[first].start:toks[j - 1].end + 1])
                first = j + 1
            j += 1
        if first < j:
            items.append(text[toks[first].start:toks[j - 1].end + 1])
        out.append(items)
    return out


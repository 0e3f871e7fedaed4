"""Oracle's ``TO_CHAR(number, format)`` for the number formats DES users write.

Supported format elements (SQL Language Reference, "Number Format Models"): ``9`` (a digit,
leading zeros shown as blanks), ``0`` (a digit, leading/trailing zeros shown), ``,``/``G``
(group separator), ``.``/``D`` (decimal point) and the ``FM`` prefix (no padding blanks, no
trailing zeros where the format has ``9``). Without ``FM`` the text is right-aligned in the
format's width plus one position for the sign; a value too wide for the format gives ``#``
signs; ``.5`` has no leading zero unless the format asks for one (``'990.99'``); rounding is
half away from zero, as for Oracle NUMBER values.

On DuckDB the function runs as the scalar function :data:`FUNCTION`, registered on the cursors
of statements that use it.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

FUNCTION = "DESLAB_TO_CHAR"
_FORMAT = re.compile(r"(FM)?([90,G]*)([.D][90]*)?")


def supported(fmt: str) -> bool:
    """Whether :func:`oracle_to_char` implements the number format ``fmt``."""
    m = _FORMAT.fullmatch(fmt.upper())
    return bool(m) and bool((m.group(2) or "").strip(",G") or m.group(3)) and \
        not (m.group(2) or "").startswith((",", "G"))


def to_char_sql(value_sql: str, fmt: str) -> str | None:
    """DuckDB SQL for ``TO_CHAR(value, fmt)``, or None for a format not supported."""
    if not supported(fmt):
        return None
    quoted = fmt.replace("'", "''")
    return f"{FUNCTION}(CAST({value_sql} AS DOUBLE), '{quoted}')"


def oracle_to_char(value: float | None, fmt: str) -> str | None:
    """``TO_CHAR(value, fmt)`` as Oracle writes it (None for NULL).

    >>> oracle_to_char(3.14159, '999.99'), oracle_to_char(0.5, '999.99')
    ('   3.14', '    .50')
    >>> oracle_to_char(0.5, 'FM990.000'), oracle_to_char(1234567, '9,999,999')
    ('0.500', ' 1,234,567')
    >>> oracle_to_char(-2.5, 'FM99'), oracle_to_char(1000, '999'), oracle_to_char(1.5, 'FM9.99')
    ('-3', '####', '1.5')
    """
    if value is None:
        return None
    upper = fmt.upper()
    fm = upper.startswith("FM")
    body = (upper[2:] if fm else upper).replace("G", ",").replace("D", ".")
    int_fmt, point, dec_fmt = body.partition(".")
    width = len(body) + 1
    if math.isnan(value) or math.isinf(value):
        return "#" * width
    places = len(dec_fmt)
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    negative = q < 0
    whole, _, frac = f"{abs(q):f}".partition(".")
    frac = frac.ljust(places, "0")
    slots = int_fmt.count("9") + int_fmt.count("0")
    whole = whole.lstrip("0")
    if len(whole) > slots:
        return "#" * width
    first_zero = int_fmt.find("0")
    if first_zero >= 0:
        whole = whole.rjust(slots - int_fmt[:first_zero].count("9"), "0")
    if not whole and not point:
        whole = "0"
    # group separators where the format has them, between digits only
    out = []
    digits = list(whole)
    for ch in reversed(int_fmt):
        if not digits:
            break
        if ch == ",":
            out.append(",")
        else:
            out.append(digits.pop())
    text_int = "".join(reversed(out)).lstrip(",")
    if fm:
        keep = len(frac)
        while keep and dec_fmt[keep - 1] == "9" and frac[keep - 1] == "0":
            keep -= 1
        frac = frac[:keep]
    text = ("-" if negative else "") + text_int + ("." + frac if point else "")
    return text if fm else text.rjust(width)

"""Request bodies of the ``/deslab/api/`` handlers, checked: size, JSON, depth, text, numbers.

The same rules as the job service's ``deslab_hub.jobs.bodies`` (the two packages do not import
each other; ``tests/jobs/test_bodies.py`` checks both give the same verdicts). Every refusal
is a :class:`BodyError` whose message says what was wrong and what to do; the handlers answer
it as 400 (413 for a body that is too large). The limits keep what the catalog and the job
service receive within what they can hold: nesting at most
:data:`MAX_DEPTH` deep, strings that are valid Unicode text (a lone surrogate from a
``\\ud800`` escape cannot be stored as UTF-8), integers within 64 bits, finite numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

from deslab.server.errors import BadRequest

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class BodyError(BadRequest):
    """A request body the server refuses; ``status`` is 400 or 413."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refuse_constant(name: str) -> Any:
    raise BodyError(f"the request body contains {name}, which is not a JSON number; send "
                    "a finite number")


def _surrogate_free(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than ``max_depth``, lone surrogates, and out-of-range numbers.

    Walks ``value`` iteratively (no recursion, whatever the depth).

    Raises
    ------
    BodyError
        Naming the problem and where it is (``$.a.b[2]``).
    """
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise BodyError(f"the request body is nested more than {max_depth} levels deep "
                                f"(at {where[:80]}); send a flatter JSON object")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not _surrogate_free(key):
                        raise BodyError(f"a field name at {where[:80]} is not valid Unicode "
                                        "text (a lone surrogate); send UTF-8 text")
                    stack.append((child, depth + 1, f"{where}.{key[:40]}"))
            else:
                stack.extend((child, depth + 1, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, str):
            if not _surrogate_free(item):
                raise BodyError(f"the value at {where[:80]} is not valid Unicode text (it "
                                "holds a lone surrogate such as \\ud800); send UTF-8 text")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise BodyError(f"the number at {where[:80]} is out of range: integers must be "
                                f"between {INT_MIN} and {INT_MAX}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise BodyError(f"the number at {where[:80]} is too large (not finite); send a "
                            "finite number")


def parse_object(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The request body ``raw`` as a checked JSON object.

    Parameters
    ----------
    raw : bytes
        The body as received.
    max_bytes : int
        Largest body accepted (413 beyond).
    max_depth : int
        Deepest nesting of objects and arrays accepted.

    Raises
    ------
    BodyError
        For an empty, oversized, non-JSON or non-object body, or one :func:`check_value`
        refuses.
    """
    if len(raw) > max_bytes:
        raise BodyError(f"the request body is larger than {max_bytes} bytes", 413)
    if not raw.strip():
        raise BodyError("the request needs a JSON object body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the request body is not UTF-8 text; send JSON encoded as UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyError(f"the request body is nested more than {max_depth} levels deep; send "
                        "a flatter JSON object") from None
    except ValueError as exc:
        if isinstance(exc, BodyError):
            raise
        raise BodyError("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BodyError("the request body must be a JSON object")
    check_value(data, max_depth=max_depth)
    return data

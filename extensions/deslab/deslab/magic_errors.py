"""One decorator shows DESlab's errors in notebooks as IPython usage errors (one line)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError

from deslab.errors import DeslabError


def usage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Show a :class:`~deslab.errors.DeslabError` raised by ``method`` as a
    :class:`UsageError` with the same message (no traceback in the notebook)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except DeslabError as exc:
            raise UsageError(str(exc)) from None

    return wrapper

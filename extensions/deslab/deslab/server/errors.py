"""The one place where exceptions become HTTP answers of the ``/deslab/`` API.

Every error answer is JSON ``{"message": ...}`` with a message meant for the user; nothing
else (no traceback, no exception class, no URL with credentials) reaches the browser.
"""

from __future__ import annotations

from tornado.web import HTTPError

from deslab.errors import (
    AnomalyError,
    ConfigurationError,
    CutoutError,
    DeslabError,
    ExportError,
    JobError,
    QueryError,
    QueryTimeoutError,
    ReadOnlyError,
)

# most specific first (isinstance order matters)
STATUS: list[tuple[type[BaseException], int]] = [
    (ReadOnlyError, 403),
    (QueryTimeoutError, 504),
    (QueryError, 400),
    (CutoutError, 400),
    (AnomalyError, 400),
    (ConfigurationError, 503),
    (ExportError, 500),
    (JobError, 502),
    (DeslabError, 500),
]

INTERNAL = "the DESlab server extension failed unexpectedly; the server log has the details"


class BadRequest(DeslabError, ValueError):
    """The request itself is malformed (not JSON, a missing or mistyped field)."""


def status_and_message(exc: BaseException | None, default_status: int = 500) -> tuple[int, str]:
    """The HTTP status and the user-facing message for an exception.

    Parameters
    ----------
    exc : BaseException or None
        What went wrong while handling the request (None: only ``default_status`` is known).
    default_status : int
        The status tornado chose (used for HTTPError and unknown exceptions).
    """
    if isinstance(exc, BadRequest):
        return getattr(exc, "status", 400), str(exc)
    if isinstance(exc, JobError):
        status = exc.status
        if isinstance(status, int) and 400 <= status < 600:
            # the job service's own 4xx (404 unknown job, 409 wrong phase, 429 quota) pass on
            return (status if status < 500 else 502), str(exc)
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status, str(exc) or cls.__doc__ or "error"
    if isinstance(exc, HTTPError):
        return exc.status_code, exc.log_message or exc.reason or _reason(exc.status_code)
    if exc is None:
        return default_status, _reason(default_status)
    return 500, INTERNAL


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"

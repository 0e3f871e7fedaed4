"""The exception family of DESlab.

Every error a user can see subclasses :class:`DeslabError` and a builtin that says what kind
of mistake it is, so ``except ValueError`` keeps working in user code. Messages say what was
wrong and what to do; they never contain a credential, a DSN or a traceback of ours.
"""

from __future__ import annotations


class DeslabError(Exception):
    """Base class of every DESlab error."""


class ConfigurationError(DeslabError, RuntimeError):
    """The environment does not say where the catalog, the tiles or the job service are."""


class QueryError(DeslabError, ValueError):
    """The SQL is malformed, names an unknown table or column, or misses a bind value."""


class ReadOnlyError(DeslabError, PermissionError):
    """The statement would change the catalog or reach outside it; only queries run."""


class QueryTimeoutError(DeslabError, TimeoutError):
    """The statement ran past its timeout and was cancelled on the server."""


class ExportError(DeslabError, OSError):
    """A result could not be written (unknown format, unwritable or full location)."""


class JobError(DeslabError, RuntimeError):
    """The job service refused a request or a job ended in ERROR.

    Parameters
    ----------
    message : str
        What went wrong and what to do.
    status : int, optional
        The job service's HTTP status when it answered with an error (404 unknown job, 409
        wrong phase, 429 quota...); None when it was not reached or the job itself failed.
    """

    def __init__(self, message: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CutoutError(DeslabError, ValueError):
    """Positions, sizes or bands for a cutout are invalid."""


class AnomalyError(DeslabError, ValueError):
    """Input for anomaly detection is invalid (NaN features, wrong shape, empty)."""

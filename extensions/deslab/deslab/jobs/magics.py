"""``%desjobs``: the caller's jobs as a table (registered by ``%load_ext deslab``).

``%%desql --async`` (in :mod:`deslab.magics`) submits through :func:`deslab.submit_query`
and returns a :class:`~deslab.jobs.client.Job`.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from deslab.magic_errors import usage_errors


@magics_class
class JobsMagic(Magics):
    """Magics of the job service."""

    @magic_arguments()
    @argument("--phase", default=None,
              help="only jobs in these phases, comma-separated (e.g. EXECUTING,QUEUED)")
    @argument("--type", default=None, help="only jobs of this type (query, cutout, anomaly)")
    @argument("--limit", type=int, default=50, help="at most this many jobs (newest first)")
    @line_magic
    @usage_errors
    def desjobs(self, line: str = "") -> Any:
        """Show your jobs: id, name, type, phase, created, duration, destruction, error.

        Usage::

            %desjobs [--phase PHASES] [--type TYPE] [--limit N]
        """
        try:
            args = parse_argstring(self.desjobs, line)
        except UsageError:
            raise
        except SystemExit:
            raise UsageError("usage: %desjobs [--phase PHASES] [--type TYPE] [--limit N]"
                             ) from None
        if not 1 <= args.limit <= 1000:
            raise UsageError("--limit must be between 1 and 1000")
        from deslab.jobs.client import jobs

        found = jobs(phase=args.phase.upper() if args.phase else None, type=args.type,
                     limit=args.limit)
        if not found:
            print("no jobs" + (" matching the filters" if args.phase or args.type else ""))
            return None
        return found


def register(ip: Any) -> None:
    """Register ``%desjobs`` with the IPython shell ``ip``."""
    ip.register_magics(JobsMagic(ip))

"""The base class of every ``/deslab/`` handler: JSON in and out, errors mapped in one place."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from tornado.web import HTTPError

from deslab.errors import DeslabError
from deslab.server import bodies
from deslab.server.errors import status_and_message

T = TypeVar("T")
MAX_BODY_BYTES = 6_000_000  # a cutout CSV upload (the job service caps positions at 5 MB)


class DeslabHandler(APIHandler):
    """JSON handlers of the DES panel.

    Subclasses decorate their methods with ``@tornado.web.authenticated``; ``APIHandler``
    checks the XSRF token of every non-GET request made with the browser's cookie. A token in
    the URL (``?token=``) is refused before authentication: it would end up in logs and
    browser history, and the DES panel never sends one.
    """

    async def prepare(self) -> None:  # type: ignore[override]
        if "token" in self.request.query_arguments:
            raise HTTPError(403, "tokens in the URL are not accepted by /deslab/api/: send "
                                 "'Authorization: token <token>' (or use the lab's cookie)")
        await super().prepare()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a (blocking) ``deslab`` function in a thread, so the server stays responsive."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def json_body(self) -> dict[str, Any]:
        """The request body as a checked JSON object (:func:`bodies.parse_object`); an empty
        body is ``{}``. Raises :class:`bodies.BodyError` (400, 413) otherwise."""
        if not self.request.body.strip():
            return {}
        return bodies.parse_object(self.request.body, max_bytes=MAX_BODY_BYTES)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, allow_nan=False))

    # -- errors ----------------------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, message = status_and_message(exc, status_code)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, DeslabError):
            # a user's mistake or a refused request: one line, no traceback
            self.log.info("%s %s: %s", self.request.method, self.request.path, value)
            return
        if isinstance(value, HTTPError):
            super().log_exception(typ, value, tb)
            return
        self.log.error("%s %s failed", self.request.method, self.request.path,
                       exc_info=(typ, value, tb))

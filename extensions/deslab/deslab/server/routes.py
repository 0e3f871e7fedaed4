"""The URL table of the ``/deslab/api/`` REST API."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from deslab.server import catalog_handlers as cat
from deslab.server import footprint_handlers as foot
from deslab.server import job_handlers as jobs

API = "deslab/api"


def routes() -> list[tuple[str, type]]:
    """(path under the server's base URL, handler) pairs."""
    table: list[tuple[str, type]] = [
        ("query", cat.QueryHandler),
        ("schema", cat.SchemaHandler),
        (r"tables/([A-Za-z0-9_.$#]{1,128})", cat.TableHandler),
        ("columns", cat.ColumnsHandler),
        ("footprint", foot.FootprintHandler),
        ("footprint/search", foot.FootprintSearchHandler),
    ]
    return table + jobs.ROUTES


def setup_handlers(web_app: Any) -> None:
    base = web_app.settings["base_url"]
    handlers = [(url_path_join(base, API, path), cls) for path, cls in routes()]
    web_app.add_handlers(".*$", handlers)

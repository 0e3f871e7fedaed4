"""The Jupyter server extension of DESlab: REST handlers under ``/deslab/`` for the DES panel.

The handlers are thin: they call the ``deslab`` API (catalog, tiles) and the job service with
the user's own token (the ``JUPYTERHUB_API_TOKEN`` of this server, through
:mod:`deslab.jobs.client`). The browser only ever talks to its own Jupyter server, with the
usual Jupyter authentication and XSRF protection; no service credential reaches it.

Enabled by ``jupyter_server_config.d/deslab.json`` (``build-labextension.sh`` writes it).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "deslab.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the ``/deslab/api/...`` handlers on the server's web application."""
    from deslab.server.routes import setup_handlers

    setup_handlers(serverapp.web_app)
    serverapp.log.info("DESlab server extension loaded (REST API under /deslab/api/)")

"""Fixtures of the lab-extension tests: an in-process Jupyter server with the deslab extension.

pytest-jupyter's fixtures (``jp_fetch``, ``jp_serverapp``, ...) are imported here rather than
through ``pytest_plugins`` (which only the top-level conftest may set).
"""

from __future__ import annotations

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403


@pytest.fixture
def jp_server_config(demo_env):
    """The server of every handler test loads the deslab extension and sees the demo survey."""
    return {"ServerApp": {"jpserver_extensions": {"deslab": True}}}


@pytest.fixture
def jp_base_url() -> str:
    return "/user/alice/"


@pytest.fixture
def api(jp_fetch, jp_asyncio_loop):
    """pytest-jupyter's ``jp_fetch``, called synchronously on the server's own event loop.

    (pytest-asyncio would run ``async def`` tests on another loop than the server's.)
    """

    def fetch(*parts, **kwargs):
        kwargs.setdefault("request_timeout", 120)  # the machine may be busy with other tests
        return jp_asyncio_loop.run_until_complete(jp_fetch(*parts, **kwargs))

    return fetch


@pytest.fixture
def http_fetch(http_server_client, jp_asyncio_loop):
    """A raw request to the test server (for cookie and XSRF checks), synchronously."""

    def fetch(path, **kwargs):
        return jp_asyncio_loop.run_until_complete(http_server_client.fetch(path, **kwargs))

    return fetch

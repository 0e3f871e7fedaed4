"""Every ``/deslab/api/`` route proves its authentication, enumerated from the running Jupyter
server's own route table (not a hand-kept list).

For every route and every method its handler implements: no credentials, another token than
this server's, and this server's token in the URL (``?token=``) answer 403; a request with the
login cookie but without the XSRF token answers 403 for every non-GET method; the server's
own token in the ``Authorization`` header gets past authentication (the checker is not
vacuous). The same checker, given a copy of one handler with ``@tornado.web.authenticated``
removed from one method, reports that route and method (the mutation check the JupyterLab
extension template's CI makes).
"""

from __future__ import annotations

import json
import re

import pytest
import tornado.web

pytestmark = pytest.mark.timeout(300)

METHODS = ("get", "post", "put", "patch", "delete")
BODIES = {"post": json.dumps({"sql": "SELECT 1 AS ONE FROM dual", "type": "query"}),
          "put": "{}", "patch": json.dumps({"name": "x"})}


def deslab_routes(web_app) -> list[tuple[str, type, tuple[str, ...]]]:
    """(pattern, handler class, implemented methods) of every rule under ``deslab/api``."""
    found = []

    def walk(router) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, tornado.web.RequestHandler):
                pattern = rule.matcher.regex.pattern
                if "/deslab/api/" in pattern:
                    methods = tuple(m for m in METHODS if getattr(target, m)
                                    is not getattr(tornado.web.RequestHandler, m))
                    found.append((pattern, target, methods))
            else:
                walk(target)

    walk(web_app.default_router)
    return found


def concrete(pattern: str) -> str:
    """A path matching ``pattern``: every group becomes 32 hex digits (a job id, a name)."""
    return re.sub(r"\([^)]*\)", "a" * 32, pattern.rstrip("$"))


def login_cookies(http_fetch, base_url: str, token: str) -> tuple[str, str]:
    """The login cookie header (without ``_xsrf``) and the XSRF token of a browser session."""
    login = http_fetch(f"{base_url}login?token={token}", follow_redirects=False,
                       raise_error=False)
    cookies = [c.split(";")[0] for c in login.headers.get_list("Set-Cookie")]
    page = http_fetch(f"{base_url}login", raise_error=False)
    cookies += [c.split(";")[0] for c in page.headers.get_list("Set-Cookie")]
    xsrf = next(c.split("=", 1)[1] for c in cookies if c.startswith("_xsrf="))
    return "; ".join(c for c in cookies if not c.startswith("_xsrf=")), xsrf


def check(routes, http_fetch, token: str, cookie: str) -> list[str]:
    """Every way a route fails to prove authentication (empty: none)."""
    failures = []
    for pattern, _cls, methods in routes:
        path = concrete(pattern)
        for method in methods:
            where = f"{method.upper()} {pattern}"
            body = BODIES.get(method)
            kw = {"method": method.upper(), "body": body, "raise_error": False,
                  "follow_redirects": False, "request_timeout": 120}
            probes = {
                "without credentials": (path, {}),
                "with another token": (path, {"Authorization": "token not-this-servers"}),
                "with ?token= in the URL": (f"{path}?token={token}", {}),
            }
            if method != "get":
                probes["with the cookie but no XSRF token"] = (path, {"Cookie": cookie})
            for what, (url, headers) in probes.items():
                r = http_fetch(url, headers=headers, **kw)
                if r.code != 403:
                    failures.append(f"{where} {what}: {r.code}")
            r = http_fetch(path, headers={"Authorization": f"token {token}"}, **kw)
            if r.code in (401, 403) or r.code >= 500 and r.code not in (502, 503):
                failures.append(f"{where} with this server's token: {r.code}")
    return failures


def test_every_deslab_route_proves_its_authentication(jp_serverapp, http_fetch, jp_base_url,
                                                      monkeypatch):
    monkeypatch.delenv("DESLAB_JOBS_URL", raising=False)  # job routes answer 503, not a call
    routes = deslab_routes(jp_serverapp.web_app)
    names = {cls.__name__ for _p, cls, _m in routes}
    assert {"QueryHandler", "SchemaHandler", "JobsHandler", "JobHandler", "CancelHandler",
            "EventsHandler", "LimitsHandler", "FootprintSearchHandler"} <= names
    token = jp_serverapp.identity_provider.token
    cookie, _xsrf = login_cookies(http_fetch, jp_base_url, token)
    assert check(routes, http_fetch, token, cookie) == []
    assert sum(len(m) for _p, _c, m in routes) >= 12


def test_the_checker_reports_a_method_whose_decorator_is_removed(jp_serverapp, http_fetch,
                                                                 jp_base_url):
    from deslab.server import catalog_handlers as cat
    from jupyter_server.utils import url_path_join

    class Undecorated(cat.SchemaHandler):  # SchemaHandler.get without @authenticated
        get = cat.SchemaHandler.get.__wrapped__

    web_app = jp_serverapp.web_app
    mutant = url_path_join(jp_base_url, "deslab/api/mutant-schema")
    web_app.add_handlers(".*$", [(mutant, Undecorated)])
    routes = deslab_routes(web_app)
    token = jp_serverapp.identity_provider.token
    cookie, _xsrf = login_cookies(http_fetch, jp_base_url, token)
    failures = check(routes, http_fetch, token, cookie)
    assert failures, "the checker did not notice the missing decorator"
    assert all("mutant-schema" in f for f in failures), failures
    assert any(f.startswith("GET ") and "without credentials: 200" in f for f in failures)

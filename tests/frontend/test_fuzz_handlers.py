"""Property-based fuzzing (hypothesis) of every ``/deslab/api/`` handler in a real Jupyter
server on the demo catalog: arbitrary JSON bodies (deep nesting, lone surrogates, huge and
non-finite numbers, fields of the right names with wrong values), arbitrary query arguments
and path values, sent with the server's own token. No answer is a 500: every error is a JSON
``{"message"}`` with a 4xx status (503 only for the job routes, which say the job service is
not configured in this server). Routes come from the server's own route table.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frontend.test_route_auth import deslab_routes

pytestmark = pytest.mark.timeout(600)

FIELDS = ["sql", "limit", "timeout", "type", "name", "lifetime_days", "destruction", "output",
          "positions", "binds"]
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3)
                      | st.dictionaries(st.text(max_size=6), kids, max_size=3), max_leaves=12)
objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=5)


def _raw(obj) -> bytes:
    return json.dumps(obj, allow_nan=True).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    objects.map(_raw),
    st.integers(min_value=1, max_value=5000).map(lambda n: b'{"sql": ' + b"[" * n + b"]" * n
                                                 + b"}"),
    st.binary(max_size=64),
    st.just(b'{"sql": "SELECT \\ud800 FROM dual", "name": "\\udfff"}'),
)
query_args = st.dictionaries(st.sampled_from(["q", "pattern", "since", "timeout", "limit",
                                              "phase", "type", "offset"]),
                             st.text(max_size=30), max_size=3)
path_values = st.sampled_from(["a" * 32, "DR2_MAIN", "0" * 32, "x.y", "$#", "A" * 128])


def test_no_request_makes_a_deslab_handler_fail(jp_serverapp, http_fetch, jp_base_url,
                                                monkeypatch):
    monkeypatch.delenv("DESLAB_JOBS_URL", raising=False)
    token = jp_serverapp.identity_provider.token
    routes = deslab_routes(jp_serverapp.web_app)
    assert len(routes) >= 11
    failures: list[str] = []
    import re
    from urllib.parse import urlencode

    def fuzz(pattern: str, method: str, job_route: bool) -> None:
        @settings(max_examples=30, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(body=bodies, args=query_args, value=path_values)
        def probe(body, args, value):
            path = re.sub(r"\([^)]*\)", value, pattern.rstrip("$"))
            url = path + ("?" + urlencode(args) if args else "")
            r = http_fetch(url, method=method.upper(),
                           body=body if method in ("post", "put", "patch") else None,
                           headers={"Authorization": f"token {token}"},
                           raise_error=False, request_timeout=120)
            ok = r.code < 500 or (job_route and r.code == 503)
            if ok and r.code >= 400 and r.code != 404:
                message = json.loads(r.body).get("message", "")
                ok = bool(message) and "Traceback" not in message
                if r.code == 503:
                    ok = ok and "DESLAB_JOBS_URL" in message
            if not ok:
                failures.append(f"{method.upper()} {url[:120]} {body[:80]!r}: {r.code} "
                                f"{r.body[:200]!r}")
            assert ok, failures[-1]

        probe()

    for pattern, cls, methods in routes:
        for method in methods:
            fuzz(pattern, method, cls.__module__.endswith("job_handlers"))
    assert failures == []

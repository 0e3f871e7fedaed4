"""Request-body checks of the job service and of the lab server: the same verdicts on hostile
bodies (depth, lone surrogates, integer range, non-finite numbers, size), never an exception
other than the checked one."""

from __future__ import annotations

import json

import pytest
from deslab.server import bodies as lab_bodies
from deslab_hub.jobs import bodies as hub_bodies
from hypothesis import given, settings
from hypothesis import strategies as st

CHECKERS = [hub_bodies, lab_bodies]


def verdict(mod, raw: bytes, max_bytes: int = 1_000_000) -> tuple[int, str] | None:
    try:
        mod.parse_object(raw, max_bytes=max_bytes)
    except mod.BodyError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return exc.status, type(exc).__name__
    return None


HOSTILE = {
    "deep array": b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "deep object": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "33 levels": b'{"a":' * 33 + b"1" + b"}" * 33,
    "lone surrogate value": b'{"type": "query", "name": "x\\ud800y"}',
    "lone surrogate key": b'{"\\udfff": 1}',
    "int too large": b'{"execution_duration": 99999999999999999999999}',
    "int too small": b'{"x": [-9223372036854775809]}',
    "float overflow": b'{"lifetime_days": 1e999}',
    "NaN": b'{"lifetime_days": NaN}',
    "Infinity": b'{"x": -Infinity}',
    "4301 digits": b'{"x": ' + b"9" * 4301 + b"}",
    "not utf-8": b'{"name": "\xff\xfe"}',
    "array": b"[1, 2]",
    "empty": b"",
    "not json": b"{nope",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_are_refused_with_a_message_by_both(name: str) -> None:
    verdicts = [verdict(mod, HOSTILE[name]) for mod in CHECKERS]
    assert verdicts[0] is not None and verdicts[0][0] == 400, (name, verdicts)
    assert [v[0] for v in verdicts] == [400, 400]


def test_limits_are_the_same_on_both_sides() -> None:
    assert hub_bodies.MAX_DEPTH == lab_bodies.MAX_DEPTH == 32
    assert (hub_bodies.INT_MIN, hub_bodies.INT_MAX) == (lab_bodies.INT_MIN, lab_bodies.INT_MAX)
    ok = b'{"a":' * 31 + b"1" + b"}" * 31  # 31 objects inside the body: 32 levels
    assert verdict(hub_bodies, ok) is None and verdict(lab_bodies, ok) is None
    big = b'{"x": "' + b"y" * 2000 + b'"}'
    assert verdict(hub_bodies, big, max_bytes=1000) == (413, "BodyError")
    assert verdict(lab_bodies, big, max_bytes=1000) == (413, "BodyError")
    fine = {"type": "query", "sql": "SELECT 1", "binds": {"n": 2**63 - 1, "m": -(2**63)},
            "name": "étoile ✨", "x": [1.5e300, None, True]}
    raw = json.dumps(fine).encode()
    assert hub_bodies.parse_object(raw, max_bytes=10_000) == fine
    assert lab_bodies.parse_object(raw, max_bytes=10_000) == fine


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_any_json_object_gets_the_same_verdict_from_both(body: dict) -> None:
    raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    assert verdict(hub_bodies, raw) == verdict(lab_bodies, raw)

"""``deslab.catalog.api.bind_values``: the binds %%desql passes, read by the API itself."""

from __future__ import annotations

import pytest
from deslab.catalog.api import bind_values
from deslab.errors import QueryError


def test_binds_come_from_the_namespace_in_any_case(demo_env) -> None:
    sql = "SELECT RA FROM DR2_MAIN WHERE RA BETWEEN :RA_MIN AND :ra_max AND ROWNUM <= :n"
    ns = {"ra_min": 1.0, "RA_MAX": 2.0, "n": 5, "unused": object()}
    assert bind_values(sql, ns) == {"ra_min": 1.0, "ra_max": 2.0, "n": 5}


def test_missing_binds_are_named(demo_env) -> None:
    with pytest.raises(QueryError, match=r":dec_min not defined in the notebook"):
        bind_values("SELECT RA FROM DR2_MAIN WHERE DEC > :dec_min", {})


def test_without_a_catalog_the_sql_is_still_read(monkeypatch) -> None:
    monkeypatch.delenv("DESLAB_CATALOG", raising=False)
    assert bind_values("SELECT RA FROM DR2_MAIN WHERE RA > :x", {"x": 3}) == {"x": 3}

"""Quick queries: astropy Tables with units, row caps, timeouts that really stop the
statement, errors that suggest names."""

from __future__ import annotations

import threading
import time

import deslab
import numpy as np
import pytest
from deslab.catalog import connect
from deslab.errors import ConfigurationError, QueryError, QueryTimeoutError

SLOW = "SELECT SUM(SIN(a.RA * b.DEC)) AS S FROM DR2_MAIN a, DR2_MAIN b"


def test_count_and_units_and_descriptions(catalog_env):
    n = deslab.query("SELECT COUNT(*) AS n FROM DR2_MAIN")["N"][0]
    assert n == 100_000
    t = deslab.query("SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, TILENAME FROM DR2_MAIN "
                     "WHERE ROWNUM <= 5")
    assert len(t) == 5
    assert str(t["RA"].unit) == "deg" and str(t["MAG_AUTO_G"].unit) == "mag"
    assert "Right ascension" in t["RA"].description
    assert t["TILENAME"].dtype.kind == "U" and t["TILENAME"][0].startswith("DES")
    assert t.meta["rows"] == 5 and "duckdb://" in t.meta["catalog"]
    df = t.to_pandas()
    assert list(df.columns) == t.colnames and len(df) == 5


def test_limit_caps_rows_and_says_so(catalog_env):
    t = deslab.query("SELECT RA FROM DR2_MAIN", limit=1234)
    assert len(t) == 1234 and t.meta["truncated"]
    t = deslab.query("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 10", limit=1234)
    assert len(t) == 10 and not t.meta["truncated"]


@pytest.mark.parametrize(("where", "n", "rows"), [
    ("EXTENDED_CLASS_COADD = 0 AND ROWNUM <= :n", 7, 7),   # the usual Oracle sample idiom
    ("ROWNUM < :n AND RA > 1", 7, 6),
    (":n >= ROWNUM", 2.5, 2),
    ("ROWNUM <= 5 AND ROWNUM <= :n", 7, 5),
    ("ROWNUM <= :n", 0, 0),
])
def test_rownum_cap_from_a_bind_variable(catalog_env, where, n, rows):
    t = deslab.query(f"SELECT RA, EXTENDED_CLASS_COADD FROM DR2_MAIN WHERE {where}",
                     binds={"n": n})
    assert len(t) == rows
    if "EXTENDED" in where:
        assert set(t["EXTENDED_CLASS_COADD"]) == {0}
    counted = deslab.query("SELECT COUNT(*) AS c FROM DR2_MAIN WHERE ROWNUM <= :n",
                           binds={"n": n})
    assert counted["C"][0] == int(n // 1)


def test_timeout_stops_the_statement_and_connection_stays_usable(catalog_env):
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError) as info:
        deslab.query(SLOW, timeout=0.5)
    assert time.perf_counter() - started < 5
    assert "timeout" in str(info.value)
    assert deslab.query("SELECT COUNT(*) AS N FROM DR2_MAIN", timeout=5)["N"][0] == 100_000


def test_interrupt_from_another_thread(catalog_env):
    backend = connect()
    timer = threading.Timer(0.5, backend.interrupt)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(QueryError):
        deslab.query(SLOW, timeout=None)
    assert time.perf_counter() - started < 5
    assert len(deslab.query("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3")) == 3


def test_unknown_table_and_column_suggest_closest(catalog_env):
    with pytest.raises(QueryError, match="DR2_MAIN") as info:
        deslab.query("SELECT * FROM DR2_MIAN")
    assert "unknown table DR2_MIAN" in str(info.value)
    with pytest.raises(QueryError) as info:
        deslab.query("SELECT MAG_AUTO_GG FROM DR2_MAIN")
    assert "MAG_AUTO_G" in str(info.value) and "unknown column" in str(info.value)


def test_missing_bind_and_bad_arguments(catalog_env):
    with pytest.raises(QueryError, match=":ra_min"):
        deslab.query("SELECT RA FROM DR2_MAIN WHERE RA > :ra_min")
    with pytest.raises(QueryError, match="timeout"):
        deslab.query("SELECT 1 FROM DUAL", timeout=-1)
    with pytest.raises(QueryError, match="limit"):
        deslab.query("SELECT 1 FROM DUAL", limit=0)


def test_binds_are_values_not_sql(catalog_env):
    evil = "x' OR '1'='1"
    t = deslab.query("SELECT COUNT(*) AS N FROM DR2_MAIN WHERE TILENAME = :t", binds={"t": evil})
    assert t["N"][0] == 0


def test_explain_returns_plan(catalog_env):
    t = deslab.query("EXPLAIN PLAN FOR SELECT RA FROM DR2_MAIN WHERE RA > 1")
    assert t.colnames == ["PLAN"] and any("SCAN" in line.upper() for line in t["PLAN"])


def test_metadata_functions(catalog_env):
    d = deslab.describe_table("dr2_main")
    assert "MAG_AUTO_I" in list(d["NAME"])
    row = d[list(d["NAME"]).index("RA")]
    assert row["UNIT"] == "deg" and "Right ascension" in row["DESCRIPTION"]
    assert set(deslab.find_tables("dr2")["TABLE_NAME"]) >= {"DR2_MAIN", "DR2_TILE_INFO"}
    cols = deslab.find_columns("mag_auto")
    assert {"MAG_AUTO_G", "MAG_AUTO_Y"} <= set(cols["COLUMN_NAME"])
    assert all(n.startswith("MAG_AUTO") for n in cols["COLUMN_NAME"])
    with pytest.raises(QueryError, match="DR2_MAIN"):
        deslab.describe_table("DR2_MAINN")


def test_odd_types_nulls_and_html_descriptions(odd_catalog):
    t = deslab.query("SELECT * FROM ODD ORDER BY ID")
    assert len(t) == 100
    assert t["X"].mask[0] and not t["X"].mask[1] and t["X"][1] == 1.5
    assert t["N"].mask[7] and t["N"][8] == 8
    assert t["S"][1] == "Ångström ✓"
    assert t["X"].description == "An angle <b>bold</b>" and str(t["X"].unit) == "deg"
    assert t["FLAG"].dtype == np.bool_


def test_no_catalog_configured(monkeypatch):
    import deslab.catalog

    monkeypatch.delenv("DESLAB_CATALOG", raising=False)
    deslab.catalog.reset()
    with pytest.raises(ConfigurationError, match="DESLAB_CATALOG"):
        deslab.query("SELECT 1 FROM DUAL")
    monkeypatch.setenv("DESLAB_CATALOG", "duckdb:///no/such/catalog.duckdb")
    with pytest.raises(ConfigurationError, match="demo-data"):
        deslab.query("SELECT 1 FROM DUAL")

"""Oracle's meaning, executed on the demo survey: sampling, NULL in concatenation, ROWNUM's
order of operations, result column names, schemas and database links, Oracle's own syntax
errors, TO_CHAR formats. Each test runs the query and checks what a user would see."""

from __future__ import annotations

import math

import deslab
import duckdb
import numpy as np
import pytest
from deslab.catalog.backends.duckdb_backend import duckdb_config
from deslab.catalog.numformat import oracle_to_char
from deslab.errors import QueryError


@pytest.fixture(scope="module")
def reference(demo_survey):
    con = duckdb.connect(str(demo_survey / "catalog.duckdb"), read_only=True,
                         config=duckdb_config())
    yield con
    con.close()


def _n(sql: str, **binds) -> int:
    return int(deslab.query(sql, binds=binds or None, timeout=60)["N"][0])


# -- SAMPLE ------------------------------------------------------------------------------

def _within(count: int, rows: int, p: float) -> bool:
    """``count`` is within 5 standard deviations of a Bernoulli sample of p % of ``rows``."""
    mean = rows * p / 100
    return abs(count - mean) <= 5 * math.sqrt(mean * (1 - p / 100))


def test_sample_is_bernoulli_rows_about_p_percent_every_time(catalog_env, reference):
    rows = reference.sql("SELECT COUNT(*) FROM DR2_MAIN").fetchall()[0][0]
    counts = [_n("SELECT COUNT(*) AS N FROM DR2_MAIN SAMPLE(1)") for _ in range(8)]
    # on the 100 000-row demo: 1000 +- 158, never 0 nor a 2048-row block, and not the same
    # sample each time
    assert all(_within(c, rows, 1) for c in counts), counts
    assert len(set(counts)) > 1, counts


def test_sample_small_percentage_is_never_empty_or_a_block(catalog_env, reference):
    rows = reference.sql("SELECT COUNT(*) FROM DR2_MAIN").fetchall()[0][0]
    counts = [_n("SELECT COUNT(*) AS N FROM DR2_MAIN SAMPLE(0.1)") for _ in range(5)]
    assert all(_within(c, rows, 0.1) and c > 0 for c in counts), counts


def test_sample_applies_before_where_as_in_oracle(catalog_env, reference):
    n_bright = reference.sql("SELECT COUNT(*) FROM DR2_MAIN WHERE MAG_AUTO_I < 21").fetchall()[0][0]
    counts = [_n("SELECT COUNT(*) AS N FROM DR2_MAIN SAMPLE(10) WHERE MAG_AUTO_I < 21")
              for _ in range(3)]
    sd = math.sqrt(n_bright * 0.1 * 0.9)
    assert all(abs(c - n_bright * 0.1) < 5 * sd for c in counts), (counts, n_bright)


def test_sample_seed_is_repeatable_and_seeds_differ(catalog_env):
    sql = "SELECT COADD_OBJECT_ID FROM DR2_MAIN SAMPLE(2) SEED(:s) ORDER BY 1"
    a = deslab.query(sql.replace(":s", "42"))["COADD_OBJECT_ID"].tolist()
    b = deslab.query(sql.replace(":s", "42"))["COADD_OBJECT_ID"].tolist()
    c = deslab.query(sql.replace(":s", "43"))["COADD_OBJECT_ID"].tolist()
    assert a == b and len(a) > 0
    assert a != c


@pytest.mark.parametrize("clause", ["SAMPLE BLOCK (10)", "SAMPLE BLOCK (10, 4)",
                                    "SAMPLE BLOCK(10) SEED(1)", "sample block (10,16) t"])
def test_sample_block_forms_run_as_block_sampling(clause, catalog_env, reference):
    rows = reference.sql("SELECT COUNT(*) FROM DR2_MAIN").fetchall()[0][0]
    counts = [_n(f"SELECT COUNT(*) AS N FROM DR2_MAIN {clause}") for _ in range(3)]
    # blocks of rows: whole vectors of 2048 rows (or a row group's last, shorter one)
    assert all(0 <= c <= rows for c in counts)
    assert all(c % 2048 in (0, rows % 2048) or c == rows for c in counts), counts


# -- NULL as '' ------------------------------------------------------------------------------

def test_concatenation_treats_null_as_empty_string(catalog_env):
    t = deslab.query("SELECT TILENAME || NULL AS A, CONCAT(NULL, 'x') AS B, "
                     "NULL || NULL AS C, 'a' || '' || 'b' AS D, CONCAT('', '') AS E "
                     "FROM DR2_TILE_INFO WHERE ID = 1")
    assert t["A"][0].startswith("DES")
    assert t["B"][0] == "x" and t["D"][0] == "ab"
    # Oracle has no empty string: an all-NULL concatenation is NULL
    assert t["C"].mask[0] and t["E"].mask[0]


def test_empty_string_literal_is_null(catalog_env):
    assert _n("SELECT COUNT(*) AS N FROM DUAL WHERE '' IS NULL") == 1
    assert _n("SELECT COUNT(*) AS N FROM DR2_TILE_INFO WHERE CROSSRA0 = ''") == 0
    t = deslab.query("SELECT NVL('', 'empty') AS V, REPLACE('DES0001', 'DES', '') AS R, "
                     "REPLACE('DES0001', 'DES') AS R2 FROM DUAL")
    assert (t["V"][0], t["R"][0], t["R2"][0]) == ("empty", "0001", "0001")


# -- ROWNUM --------------------------------------------------------------------------------

def test_rownum_then_order_by_sorts_the_first_n_rows_read(catalog_env, reference):
    got = deslab.query("SELECT MAG_AUTO_I FROM DR2_MAIN WHERE ROWNUM <= 10 "
                       "ORDER BY MAG_AUTO_I")["MAG_AUTO_I"].tolist()
    first_read = sorted(r[0] for r in reference.sql(
        "SELECT MAG_AUTO_I FROM DR2_MAIN LIMIT 10").fetchall())
    smallest = [r[0] for r in reference.sql(
        "SELECT MAG_AUTO_I FROM DR2_MAIN ORDER BY 1 LIMIT 10").fetchall()]
    assert got == sorted(got) and len(got) == 10
    assert got == pytest.approx(first_read)
    assert got != pytest.approx(smallest)  # not "the 10 brightest"


def test_rownum_with_distinct_group_by_aggregates_over_a_table_and_a_join(catalog_env,
                                                                          reference):
    assert _n("SELECT COUNT(DISTINCT TILENAME) AS N FROM DR2_MAIN WHERE ROWNUM <= 500") == \
        reference.sql("SELECT COUNT(DISTINCT TILENAME) FROM (SELECT TILENAME FROM DR2_MAIN "
                      "LIMIT 500)").fetchall()[0][0]
    t = deslab.query("SELECT t.CROSSRA0, COUNT(*) AS N FROM DR2_MAIN m, DR2_TILE_INFO t "
                     "WHERE m.TILENAME = t.TILENAME AND ROWNUM <= 300 GROUP BY t.CROSSRA0 "
                     "ORDER BY t.CROSSRA0")
    assert sum(t["N"]) == 300  # grouping ran on the 300 joined rows, not before the cap
    assert _n("SELECT COUNT(*) AS N FROM DR2_MAIN m JOIN DR2_TILE_INFO t "
              "ON m.TILENAME = t.TILENAME WHERE ROWNUM <= 42") == 42


def test_rownum_in_the_select_list_numbers_rows_as_read(catalog_env):
    t = deslab.query("SELECT ROWNUM, TILENAME FROM (SELECT TILENAME FROM DR2_TILE_INFO "
                     "ORDER BY TILENAME DESC) WHERE ROWNUM <= 4")
    assert t.colnames == ["ROWNUM", "TILENAME"]
    assert t["ROWNUM"].tolist() == [1, 2, 3, 4]
    assert t["TILENAME"].tolist() == sorted(t["TILENAME"].tolist(), reverse=True)
    # numbered before ORDER BY: sorting by another column scrambles the numbers, as in Oracle
    t = deslab.query("SELECT ROWNUM AS R, MAG_AUTO_I FROM DR2_MAIN WHERE ROWNUM <= 50 "
                     "ORDER BY MAG_AUTO_I")
    assert sorted(t["R"].tolist()) == list(range(1, 51))
    assert t["MAG_AUTO_I"].tolist() == sorted(t["MAG_AUTO_I"].tolist())


@pytest.mark.parametrize("cond,n", [("ROWNUM > 1", 0), ("ROWNUM = 2", 0), ("ROWNUM >= 1", None),
                                    ("ROWNUM > 0", None), ("ROWNUM < 1", 0), ("ROWNUM <= 0.5", 0),
                                    ("ROWNUM < 2.5", 2), ("ROWNUM = 1", 1)])
def test_rownum_comparisons_as_oracle_evaluates_them(cond, n, catalog_env, reference):
    tiles = reference.sql("SELECT COUNT(*) FROM DR2_TILE_INFO").fetchall()[0][0]
    got = len(deslab.query(f"SELECT TILENAME FROM DR2_TILE_INFO WHERE {cond}"))
    assert got == (tiles if n is None else n)


# -- names -----------------------------------------------------------------------------------

def test_result_column_names_are_oracles(catalog_env):
    t = deslab.query("select count(*), max(mag_auto_g - mag_auto_r), min(ra) lo, "
                     "avg(dec) \"mean dec\" from dr2_main")
    assert t.colnames == ["COUNT(*)", "MAX(MAG_AUTO_G-MAG_AUTO_R)", "LO", "mean dec"]
    t = deslab.query("SELECT mag_auto_g - mag_auto_r, ROWNUM, ra, m.dec, 1 + 1, "
                     "nvl(mag_auto_y, 99), 'x' FROM dr2_main m WHERE rownum <= 2")
    assert t.colnames == ["MAG_AUTO_G-MAG_AUTO_R", "ROWNUM", "RA", "DEC", "1+1",
                          "NVL(MAG_AUTO_Y,99)", "'X'"]
    t = deslab.query("SELECT * FROM (SELECT tilename, count(*) FROM dr2_main GROUP BY "
                     "tilename) WHERE \"COUNT(*)\" > 440")
    assert t.colnames == ["TILENAME", "COUNT(*)"] and len(t) > 0


# -- schemas, links --------------------------------------------------------------------------

def test_schema_qualified_and_local_links_resolve(catalog_env):
    n = _n("SELECT COUNT(*) AS N FROM DR2_MAIN")
    assert _n("SELECT COUNT(*) AS N FROM DES_ADMIN.DR2_MAIN") == n
    assert _n("SELECT COUNT(*) AS N FROM dr2_main@desdr") == n
    assert _n("SELECT COUNT(*) AS N FROM des_admin.DR2_MAIN@DESDR m WHERE m.RA >= 0") == n


def test_other_database_links_are_refused_with_one_clear_message(catalog_env):
    with pytest.raises(QueryError) as info:
        deslab.query("SELECT COUNT(*) FROM Y3_GOLD@DESSCI WHERE ROWNUM < 5")
    msg = str(info.value)
    assert "@DESSCI" in msg and "line 1, column 29" in msg and "DESDR" in msg
    assert "another database" in msg and "\n" not in msg


def test_local_link_names_are_a_setting(catalog_env, monkeypatch):
    monkeypatch.setenv("DESLAB_CATALOG_LINKS", "DESSCI,DESDR")
    assert _n("SELECT COUNT(*) AS N FROM DR2_TILE_INFO@DESSCI") == \
        _n("SELECT COUNT(*) AS N FROM DR2_TILE_INFO")
    monkeypatch.setenv("DESLAB_CATALOG_LINKS", "")
    with pytest.raises(QueryError, match="none"):
        deslab.query("SELECT COUNT(*) AS N FROM DR2_TILE_INFO@DESDR")


# -- Oracle's own errors, untranslatable forms -----------------------------------------------

@pytest.mark.parametrize("sql,where", [
    ("SELECT RA, DEC, FROM DR2_MAIN", "line 1, column 15"),
    ("select ra,\n  dec,\nfrom dr2_main", "line 2, column 6"),
    ("SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME IN ('A', 'B',)", "line 1, column 58"),
])
def test_trailing_comma_is_an_error_as_in_oracle(sql, where, catalog_env):
    with pytest.raises(QueryError) as info:
        deslab.query(sql)
    msg = str(info.value)
    assert "comma with nothing after it" in msg and where in msg


def test_untranslatable_query_runs_nothing_and_says_what_to_write(catalog_env):
    with pytest.raises(QueryError) as info:
        deslab.query("SELECT RA FROM DR2_MAIN ORDER BY RA FETCH FIRST 5 PERCENT ROWS ONLY")
    msg = str(info.value)
    assert "FETCH FIRST n PERCENT" in msg and "line 1, column 51" in msg
    assert "ROWS ONLY" in msg and "nothing was run" in msg


def test_unknown_names_suggest_the_nearest(catalog_env):
    with pytest.raises(QueryError, match=r"MAG_AUTO_G") as info:
        deslab.query("SELECT MAG_AUTO_GG FROM DR2_MAIN")
    assert "did you mean" in str(info.value)
    with pytest.raises(QueryError, match=r"did you mean DR2_MAIN"):
        deslab.query("SELECT * FROM DR2_MIAN")
    with pytest.raises(QueryError, match=r"did you mean DR2_TILE_INFO"):
        deslab.query("SELECT * FROM DES_ADMIN.DR2_TILEINFO")


# -- functions -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,fmt,text", [
    (3.14159, "999.99", "   3.14"), (0.5, "999.99", "    .50"), (0.5, "990.99", "   0.50"),
    (-0.5, "FM990.00", "-0.50"), (1234567.891, "9,999,999.99", " 1,234,567.89"),
    (12, "0000", " 0012"), (1000, "999", "####"), (2.5, "FM9", "3"), (-2.5, "FM9", "-3"),
    (1.5, "FM9.99", "1.5"), (1.0, "FM9.99", "1."), (0, "999", "   0"),
])
def test_to_char_number_formats(value, fmt, text, catalog_env):
    """Expected texts from Oracle's number format model rules (SQL Language Reference,
    "Format Models"): a sign position before the digits, ``9`` blanks leading zeros, ``0``
    keeps them, FM trims blanks and trailing 9-position zeros, overflow gives ``#``."""
    assert oracle_to_char(value, fmt) == text
    t = deslab.query(f"SELECT TO_CHAR({value}, '{fmt}') AS T FROM DUAL")
    assert t["T"][0] == text


def test_oracle_functions_execute(catalog_env):
    t = deslab.query(
        "SELECT NVL(NULL, 1) AS A, NVL2(NULL, 1, 2) AS B, DECODE(NULL, NULL, 'n', 'x') AS C, "
        "COALESCE(NULL, NULL, 3) AS D, MOD(10, 0) AS E, MOD(-7, 3) AS F, BITAND(6, 3) AS G, "
        "POWER(2, 0.5) AS H, LOG(2, 8) AS I, SIGN(-4) AS J, TRUNC(-2.7) AS K, "
        "ROUND(2.345, 2) AS L, TO_NUMBER('12.5') AS M, TRUNC(12.345, 1) AS N1, "
        "ROUND(DEGREES(ATAN2(1, 0))) AS O, TO_CHAR(42) AS P FROM DUAL")
    row = {c: t[c][0] for c in t.colnames}
    assert (row["A"], row["B"], row["C"], row["D"], row["E"], row["F"], row["G"]) == \
        (1, 2, "n", 3, 10, -1, 2)
    assert row["H"] == pytest.approx(math.sqrt(2)) and row["I"] == pytest.approx(3)
    assert (row["J"], float(row["K"]), float(row["L"]), row["M"]) == (-1, -2.0, 2.35, 12.5)
    assert float(row["N1"]) == 12.3 and float(row["O"]) == 90 and row["P"] == "42"


def test_user_and_sysdate(catalog_env):
    import datetime as dt
    import getpass

    t = deslab.query("SELECT USER, SYSDATE, TRUNC(SYSDATE) AS DAY FROM DUAL")
    assert t.colnames == ["USER", "SYSDATE", "DAY"]
    assert t["USER"][0] == getpass.getuser().upper()
    now = np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "us")
    assert abs(now - t["SYSDATE"][0].astype("datetime64[us]")) < np.timedelta64(120, "s")

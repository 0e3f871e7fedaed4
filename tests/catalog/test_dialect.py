"""Oracle forms are translated for DuckDB (without a catalog: pure translation)."""

from __future__ import annotations

import pytest
from deslab.catalog.dialect import check_binds, parse
from deslab.catalog.duckdb_sql import to_duckdb
from deslab.errors import QueryError


def duck(sql: str) -> str:
    return to_duckdb(parse(sql))


def test_rownum_becomes_limit_and_keeps_other_conditions():
    out = duck("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 10 AND RA > 3")
    assert "LIMIT 10" in out and "RA > 3" in out and "ROWNUM" not in out.upper()


@pytest.mark.parametrize("cond,limit", [("ROWNUM < 5", 4), ("ROWNUM <= 5", 5),
                                        ("5 >= ROWNUM", 5), ("ROWNUM = 1", 1)])
def test_rownum_forms(cond, limit):
    assert f"LIMIT {limit}" in duck(f"SELECT * FROM T WHERE {cond}")


def test_rownum_before_aggregate_caps_rows_read():
    out = duck("SELECT COUNT(*) FROM DR2_MAIN WHERE ROWNUM <= 100")
    assert "LIMIT 100" in out and out.upper().index("LIMIT") > out.upper().index("FROM")


def test_rownum_in_select_list_is_row_number():
    assert "ROW_NUMBER() OVER ()" in duck("SELECT ROWNUM AS R, RA FROM T")


def test_fetch_first_nvl_decode_dual_bitand():
    out = duck("SELECT NVL(A, 0), DECODE(B, 1, 'x', 'y'), BITAND(F, 4) FROM T "
               "FETCH FIRST 3 ROWS ONLY")
    assert "COALESCE" in out and "CASE" in out and "&" in out and "LIMIT 3" in out
    assert "DUAL" not in duck("SELECT 1 FROM DUAL").split("AS")[-1].strip("() ").upper() or \
        "SELECT 'X' AS DUMMY" in duck("SELECT 1 FROM DUAL")


def test_outer_join_plus_becomes_left_join():
    out = duck("SELECT a.X FROM A a, B b WHERE a.K = b.K(+)")
    assert "LEFT JOIN" in out and "(+)" not in out


def test_binds_become_duckdb_parameters_and_are_checked():
    stmt = parse("SELECT * FROM T WHERE RA > :Ra_Min AND DEC < :dec")
    assert stmt.binds == ["ra_min", "dec"]
    assert "$" in to_duckdb(stmt)
    assert check_binds(stmt, {"RA_MIN": 1, ":dec": 2}) == {"ra_min": 1, "dec": 2}
    with pytest.raises(QueryError, match=":dec"):
        check_binds(stmt, {"ra_min": 1})


def test_identifiers_upper_cased_like_oracle():
    assert "AS N" in duck("select count(*) n from dr2_main")
    assert '"ra_deg"' in duck('select ra "ra_deg" from dr2_main')


def test_tables_listed_without_ctes():
    stmt = parse("WITH B AS (SELECT * FROM DR2_MAIN) SELECT * FROM B, des_admin.DR2_TILE_INFO")
    assert sorted(stmt.tables) == ["DES_ADMIN.DR2_TILE_INFO", "DR2_MAIN"]


def test_explain_forms():
    assert parse("EXPLAIN PLAN FOR SELECT 1 FROM DUAL").explain
    assert parse("explain select 1 from dual;").explain


def _position(sql: str, word: str) -> str:
    offset = sql.index(word)
    line = sql.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (sql.rfind(chr(10), 0, offset) + 1) + 1}"


@pytest.mark.parametrize("sql,construct,word,instead", [
    ("SELECT * FROM T FETCH FIRST 10 PERCENT ROWS ONLY", "FETCH FIRST n PERCENT", "PERCENT",
     "ROWS ONLY"),
    ("SELECT RA\nFROM T\nFETCH FIRST 3 ROWS WITH TIES", "WITH TIES", "TIES", "ROWS ONLY"),
    ("SELECT ID FROM T START WITH ID = 1 CONNECT BY PRIOR ID = PARENT", "CONNECT BY",
     "CONNECT", "recursive WITH"),
    ("SELECT TO_CHAR(RA, '9.99EEEE') FROM T", "TO_CHAR", "TO_CHAR", "FM"),
    ("SELECT * FROM T WHERE ROWNUM <= 5 OR RA > 1", "ROWNUM", "ROWNUM", "AND"),
    ("SELECT *\n  FROM DR2_MAIN m SAMPLE(1)", "SAMPLE", "SAMPLE", "before the alias"),
])
def test_untranslatable_forms_say_what_where_and_instead(sql, construct, word, instead):
    with pytest.raises(QueryError) as info:
        duck(sql)
    msg = str(info.value)
    assert construct in msg and _position(sql, word) in msg and instead in msg, msg
    assert "nothing was run" in msg

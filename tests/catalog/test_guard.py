"""Read-only: refused up front with a clear message, and enforced by DuckDB itself."""

from __future__ import annotations

import deslab
import duckdb
import pytest
from deslab.catalog import connect
from deslab.errors import QueryError, ReadOnlyError

from .conftest import file_digest

REFUSED = [
    "INSERT INTO DR2_MAIN (COADD_OBJECT_ID) VALUES (1)",
    "UPDATE DR2_MAIN SET RA = 0",
    "DELETE FROM DR2_MAIN",
    "MERGE INTO DR2_MAIN m USING DR2_TILE_INFO t ON (m.TILENAME = t.TILENAME) "
    "WHEN MATCHED THEN UPDATE SET m.RA = 0",
    "CREATE TABLE X AS SELECT * FROM DR2_MAIN",
    "DROP TABLE DR2_MAIN",
    "ALTER TABLE DR2_MAIN ADD COLUMN Y INTEGER",
    "TRUNCATE TABLE DR2_MAIN",
    "ATTACH '/tmp/other.duckdb' AS other",
    "DETACH other",
    "COPY DR2_MAIN TO '/tmp/stolen.csv'",
    "EXPORT DATABASE '/tmp/stolen'",
    "PRAGMA database_list",
    "SET enable_external_access = true",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CALL dbms_stats.gather_table_stats('DES', 'DR2_MAIN')",
    "BEGIN TRANSACTION",
    "GRANT SELECT ON DR2_MAIN TO PUBLIC",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM \"/etc/hosts.csv\"",
    "SELECT * FROM glob('/etc/*')",
    "SELECT getenv('HOME') FROM DUAL",
    "SELECT * FROM DR2_MAIN FOR UPDATE",
    "SELECT RA INTO X FROM DR2_MAIN",
    "SELECT * FROM query('SELECT 1')",
    "WITH x AS (SELECT 1 AS A FROM DUAL) SELECT * FROM read_parquet('/tmp/x.parquet')",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_up_front_and_catalog_unchanged(sql, catalog_env):
    before = file_digest(catalog_env)
    with pytest.raises(ReadOnlyError) as info:
        deslab.query(sql)
    msg = str(info.value)
    assert "read-only" in msg and "SELECT" in msg
    assert file_digest(catalog_env) == before
    # the connection still answers
    assert deslab.query("SELECT COUNT(*) AS N FROM DR2_MAIN")["N"][0] > 0


@pytest.mark.parametrize("sql", [
    "CREATE TABLE X (A INTEGER)",
    "INSERT INTO DR2_TILE_INFO (TILENAME) VALUES ('X')",
    "DROP TABLE DR2_MAIN",
    "COPY DR2_MAIN TO '{tmp}/stolen.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "INSTALL httpfs",
])
def test_duckdb_itself_refuses(sql, catalog_env, tmp_path):
    """Even SQL that got past the guard cannot write or read files: DuckDB refuses it."""
    backend = connect()
    before = file_digest(catalog_env)
    cur = backend._con.cursor()
    with pytest.raises(duckdb.Error):
        cur.execute(sql.format(tmp=tmp_path))
    assert not (tmp_path / "stolen.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert file_digest(catalog_env) == before


@pytest.mark.parametrize("sql,needle", [
    ("SELEC * FROM DR2_MAIN", "SELEC"),
    ("", "empty"),
    ("   ;  ", "empty"),
    ("SELECT * FROM DR2_MAIN WHERE", "parsed"),
    ("SELECT 1 FROM DUAL; SELECT 2 FROM DUAL", "one statement"),
    ("SELECT * FROM (SELECT RA FROM DR2_MAIN", "parsed"),
])
def test_malformed_sql_is_a_clear_query_error(sql, needle, catalog_env):
    with pytest.raises(QueryError) as info:
        deslab.query(sql)
    assert needle.lower() in str(info.value).lower()
    assert "Traceback" not in str(info.value)


ORACLE_PACKAGES = [
    ("SELECT DBMS_XMLGEN.GETXML('SELECT * FROM DR2_MAIN') FROM DUAL", "DBMS_XMLGEN"),
    ("select dbms_xmlgen.getxml('select 1 from dual') x from dual", "DBMS_XMLGEN"),
    ('SELECT "DBMS_PIPE"."RECEIVE_MESSAGE"(\'x\', 10) FROM DUAL', "DBMS_PIPE"),
    ("SELECT UTL_HTTP.REQUEST('http://169.254.169.254/') FROM DUAL", "UTL_HTTP"),
    ("SELECT RA FROM DR2_MAIN WHERE 1 = UTL_TCP.AVAILABLE(NULL)", "UTL_TCP"),
    ("SELECT utl_smtp . helo(NULL, 'x') FROM DUAL", "UTL_SMTP"),
    ("SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME IN (SELECT "
     "Utl_Inaddr.Get_Host_Address('x') FROM DUAL)", "UTL_INADDR"),
    ("WITH f AS (SELECT UTL_FILE.FOPEN('DIR', 'x', 'r') h FROM DUAL) SELECT * FROM f",
     "UTL_FILE"),
    ("SELECT HTTPURITYPE('http://example.org/').GETCLOB() FROM DUAL", "HTTPURITYPE"),
    ("SELECT RA FROM DR2_MAIN ORDER BY DBMS_RANDOM.VALUE", "DBMS_RANDOM"),
    ("SELECT * FROM SYS.DBA_USERS", "SYS"),
    ('SELECT * FROM "SYS"."USER$"', "SYS"),
    ("select * from sys . all_users", "SYS"),
    ("SELECT /* hidden */ sys.dbms_lock.sleep(10) FROM DUAL", "DBMS_LOCK"),
]


@pytest.mark.parametrize("sql,name", ORACLE_PACKAGES)
def test_oracle_packages_refused_in_any_case_quoting_and_position(sql, name, catalog_env):
    with pytest.raises(ReadOnlyError) as info:
        deslab.query(sql)
    msg = str(info.value)
    assert name in msg and "line 1, column" in msg and "read-only" in msg


@pytest.mark.parametrize("sql", [
    "SELECT 'DBMS_XMLGEN.GETXML and UTL_HTTP are words' AS T FROM DUAL",
    "SELECT COUNT(*) AS N FROM DR2_MAIN -- SYS.DBA_USERS in a comment",
    "SELECT SYSDATE AS D, 'SYS.X' AS S FROM DUAL",
    "SELECT COUNT(*) AS N FROM DR2_MAIN m WHERE m.TILENAME <> 'UTL_FILE'",
])
def test_package_names_in_strings_and_comments_are_fine(sql, catalog_env):
    assert len(deslab.query(sql)) == 1

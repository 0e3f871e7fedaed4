"""Fixtures for the catalog tests: the demo survey as the configured catalog, a fresh
backend cache per test, and a tiny hand-made DuckDB catalog for tests that need odd types."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest


@pytest.fixture
def catalog_env(demo_env: Path):
    """DESLAB_CATALOG points at the demo survey; backends opened by the test are closed."""
    import deslab.catalog

    deslab.catalog.reset()
    yield demo_env / "catalog.duckdb"
    deslab.catalog.reset()


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def odd_catalog(tmp_path: Path, monkeypatch) -> Path:
    """A small catalog with nulls, booleans, decimals, dates, long and non-ASCII strings."""
    import deslab.catalog

    path = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE ODD AS SELECT
          i::BIGINT AS ID,
          CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.5 END::DOUBLE AS X,
          CASE WHEN i % 7 = 0 THEN NULL ELSE i END::INTEGER AS N,
          (i % 3 = 0) AS FLAG,
          CASE WHEN i % 11 = 0 THEN NULL ELSE i % 2 = 0 END AS MAYBE,
          (i / 4)::DECIMAL(10, 3) AS D,
          (i % 200)::UTINYINT AS SMALL,
          (i - 50)::TINYINT AS TINY,
          CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN 'Ångström ✓'
               ELSE repeat('x', (i % 30)::INTEGER) END AS S,
          DATE '2020-01-01' + i::INTEGER AS DAY,
          i::REAL / 3 AS F32
        FROM range(100) t(i)
    """)
    con.execute("CREATE TABLE DESLAB_COLUMNS (TABLE_NAME VARCHAR, COLUMN_NAME VARCHAR, "
                "UNIT VARCHAR, DESCRIPTION VARCHAR)")
    con.execute("INSERT INTO DESLAB_COLUMNS VALUES ('ODD', 'X', 'deg', 'An angle <b>bold</b>')")
    con.close()
    deslab.catalog.reset()
    monkeypatch.setenv("DESLAB_CATALOG", f"duckdb://{path}")
    yield path
    deslab.catalog.reset()

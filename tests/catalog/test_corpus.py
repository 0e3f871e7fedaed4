"""Oracle SQL runs unchanged on DuckDB: each corpus query returns the same rows, row count,
column names and column types as its independently written DuckDB equivalent on the demo
survey, through ``deslab.query`` and through ``deslab sql`` with easyaccess's ``; > file``."""

from __future__ import annotations

import math
import subprocess
import sys

import deslab
import duckdb
import numpy as np
import pyarrow as pa
import pytest
from astropy.table import Table
from deslab.catalog import connect
from deslab.catalog.backends.duckdb_backend import duckdb_config
from deslab.catalog.dialect import check_binds, parse

from .corpus import CORPUS

# queries whose right answer on the demo survey is no rows
EMPTY = {"minus", "rownum_gt_1_is_empty", "rownum_eq_2_is_empty"}


def _norm(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "is_finite") and hasattr(value, "as_tuple"):  # Decimal
        value = float(value)
    return value


def _close(a: tuple, b: tuple) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) or isinstance(y, float):
            if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


def _key(row: tuple):
    return tuple((v is None, round(v, 6) if isinstance(v, float) else v) for v in row)


def _rows(table: pa.Table) -> list[tuple]:
    return [tuple(_norm(v) for v in row.values()) for row in table.to_pylist()]


def _same_rows(name: str, rows: list[tuple], want: list[tuple]) -> None:
    assert len(rows) == len(want), f"{name}: {len(rows)} rows, expected {len(want)}"
    if "ordered" not in name:
        rows, want = sorted(rows, key=_key), sorted(want, key=_key)
    bad = [(r, w) for r, w in zip(rows, want, strict=True) if not _close(r, w)]
    assert not bad, f"{name}: {len(bad)} rows differ, first {bad[0]}"


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 150
    assert len({name for name, *_ in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def reference(demo_survey):
    # DuckDB allows one configuration per file and process: the backend's (read-only, locked)
    con = duckdb.connect(str(demo_survey / "catalog.duckdb"), read_only=True,
                         config=duckdb_config())
    yield con
    con.close()


@pytest.mark.parametrize("name,oracle,duck,binds", CORPUS, ids=[c[0] for c in CORPUS])
def test_same_rows_names_and_types(name, oracle, duck, binds, catalog_env, reference):
    want = reference.sql(duck).to_arrow_table()
    # what deslab.query fetches: the translated statement's Arrow stream
    stmt = parse(oracle)
    with connect().stream(stmt, check_binds(stmt, binds), 1 << 16) as reader:
        got = pa.Table.from_batches(list(reader), schema=reader.schema)
    assert got.column_names == want.column_names, f"{name}: column names"
    assert got.schema.types == want.schema.types, f"{name}: column types"
    _same_rows(name, _rows(got), _rows(want))
    # a query that selects nothing would prove nothing: most corpus entries return rows
    if name not in EMPTY:
        assert got.num_rows, f"{name} returned no rows on the demo survey"
    else:
        assert not got.num_rows


@pytest.mark.parametrize("name,oracle,duck,binds", CORPUS[::9], ids=[c[0] for c in CORPUS[::9]])
def test_same_table_through_deslab_query(name, oracle, duck, binds, catalog_env, reference):
    """Every ninth query through the public API: the astropy Table has the same names and
    rows."""
    want = reference.sql(duck).to_arrow_table()
    got = deslab.query(oracle, binds=binds, timeout=60)
    assert got.colnames == want.column_names
    rows = [tuple(_norm(v) for v in row) for row in got.as_array().tolist()]
    _same_rows(name, rows, _rows(want))


def test_corpus_through_deslab_sql_easyaccess_exports(catalog_env, reference, tmp_path):
    """The corpus (queries without binds) typed into ``deslab sql`` with easyaccess's
    ``; > out.fits`` suffix: one file per query, each with the reference's rows and names."""
    import os

    chosen = [(n, o, d) for n, o, d, b in CORPUS if not b]
    script = "".join(f"{o.strip().rstrip(';')}; > {tmp_path / (n + '.fits')}\n"
                     for n, o, _ in chosen)
    p = subprocess.run([sys.executable, "-m", "deslab.cli", "sql"], input=script, text=True,
                       capture_output=True, env=dict(os.environ), timeout=900)
    assert p.returncode == 0, p.stderr
    for name, _, duck in chosen:
        path = tmp_path / f"{name}.fits"
        assert path.exists(), f"{name}: no file; shell said {p.stdout[-500:]}"
        got = Table.read(path)
        want = reference.sql(duck).to_arrow_table()
        assert got.colnames == want.column_names, name
        assert len(got) == want.num_rows, name

"""Every export format opens in the readers users use, with their default arguments."""

from __future__ import annotations

import csv
import gzip

import deslab
import duckdb
import h5py
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy.io import fits, votable
from astropy.table import Table

# ints, floats, a string that needs quoting, NULLs
SQL = ("SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, FLAGS_I, TILENAME, "
       "TILENAME || ', \"x\"' AS LABEL, "
       "CASE WHEN FLAGS_I > 1 THEN MAG_AUTO_R END AS MAYBE_R "
       "FROM DR2_MAIN WHERE RA BETWEEN 0.05 AND 0.3 AND DEC BETWEEN -0.3 AND 0.3 "
       "ORDER BY COADD_OBJECT_ID")


@pytest.fixture
def reference(catalog_env):
    t = deslab.query(SQL, limit=None)
    assert len(t) > 500 and np.ma.is_masked(t["MAYBE_R"]) and not t["MAYBE_R"].mask.all()
    return t


def _check_frame(df: pd.DataFrame, ref: Table) -> None:
    assert list(df.columns) == ref.colnames
    assert len(df) == len(ref)
    assert np.array_equal(df["COADD_OBJECT_ID"].to_numpy(), np.asarray(ref["COADD_OBJECT_ID"]))
    assert np.allclose(df["RA"].to_numpy(), np.asarray(ref["RA"]), rtol=0, atol=1e-12)
    assert list(df["LABEL"]) == [f'{n}, "x"' for n in ref["TILENAME"]]
    assert (df["MAYBE_R"].isna().to_numpy() == ref["MAYBE_R"].mask).all()


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz"])
def test_plain_csv_opens_with_default_arguments(name, reference, tmp_path):
    path = tmp_path / name
    deslab.query_to_file(SQL, path)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        first = fh.readline()
    assert first == ",".join(reference.colnames) + "\n"  # no comment lines: the header row

    _check_frame(pd.read_csv(path), reference)  # pandas
    _check_frame(duckdb.sql(f"SELECT * FROM read_csv('{path}')").df(), reference)  # DuckDB
    t = Table.read(path, format="ascii.csv")  # astropy
    assert t.colnames == reference.colnames and len(t) == len(reference)
    assert np.allclose(t["MAG_AUTO_G"], reference["MAG_AUTO_G"], rtol=1e-6)
    assert (t["MAYBE_R"].mask == reference["MAYBE_R"].mask).all()
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # the csv module
        rows = list(csv.reader(fh))
    assert rows[0] == reference.colnames and len(rows) == len(reference) + 1
    assert rows[1][6] == f'{reference["TILENAME"][0]}, "x"'
    assert {len(r) for r in rows} == {len(reference.colnames)}


@pytest.mark.parametrize("name", ["out.ecsv", "out.ecsv.gz"])
def test_ecsv_keeps_types_units_descriptions_and_provenance(name, reference, tmp_path):
    path = tmp_path / name
    deslab.query_to_file(SQL, path)
    t = Table.read(path, format="ascii.ecsv") if name.endswith(".gz") else Table.read(path)
    assert t.colnames == reference.colnames and len(t) == len(reference)
    assert t["COADD_OBJECT_ID"].dtype == np.int64 and t["MAG_AUTO_G"].dtype == np.float32
    assert str(t["RA"].unit) == "deg" and str(t["MAG_AUTO_G"].unit) == "mag"
    assert t["RA"].description.startswith("Right ascension")
    assert t.meta["query"] == SQL and t.meta["rows"] == len(reference)
    assert t.meta["catalog"].startswith("duckdb://")
    assert (t["MAYBE_R"].mask == reference["MAYBE_R"].mask).all()


def test_fits_parquet_hdf5_votable_open_with_default_arguments(reference, tmp_path):
    for name in ("out.fits", "out.parquet", "out.h5", "out.vot"):
        deslab.query_to_file(SQL, tmp_path / name)
        t = Table.read(tmp_path / name)  # astropy, format from the extension or content
        assert t.colnames == reference.colnames and len(t) == len(reference), name
        assert np.array_equal(t["COADD_OBJECT_ID"], reference["COADD_OBJECT_ID"]), name
        assert str(t["RA"].unit) == "deg", name
    with fits.open(tmp_path / "out.fits") as hdul:  # astropy.io.fits, as users do
        assert hdul[1].header["TUNIT2"] == "deg"
        assert np.allclose(hdul[1].data["DEC"], reference["DEC"])
    df = pd.read_parquet(tmp_path / "out.parquet")  # pandas
    _check_frame(df, reference)
    _check_frame(duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / 'out.parquet'}')").df(),
                 reference)
    assert pq.read_table(tmp_path / "out.parquet").num_rows == len(reference)
    with h5py.File(tmp_path / "out.h5") as f:  # h5py
        assert np.array_equal(f["data"]["COADD_OBJECT_ID"], reference["COADD_OBJECT_ID"])
    vot = votable.parse_single_table(tmp_path / "out.vot").to_table()  # astropy.io.votable
    assert len(vot) == len(reference) and str(vot["RA"].unit) == "deg"

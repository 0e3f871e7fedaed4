"""Streaming exports: every format reads back identically, carries its provenance, passes
fitsverify; splits past a size limit; failures leave no partial file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import deslab
import h5py
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table
from deslab.errors import ExportError

SQL = ("SELECT * FROM DR2_MAIN WHERE RA BETWEEN 0.05 AND 0.5 AND DEC BETWEEN -0.5 AND 0.5 "
       "ORDER BY COADD_OBJECT_ID")
READ = {
    "out.fits": {},
    "out.h5": {"path": "data"},
    "out.ecsv": {},
    "out.ecsv.gz": {"format": "ascii.ecsv"},
    "out.parquet": {},
    "out.vot": {},
}


def _as_str(values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8")
    return arr


def _same(got: Table, want: Table) -> None:
    assert len(got) == len(want)
    assert got.colnames == want.colnames
    for name in want.colnames:
        a, b = np.asarray(got[name]), np.asarray(want[name])
        if b.dtype.kind in "US":
            assert (_as_str(a) == _as_str(b)).all(), name
        else:
            assert (a.dtype.kind, a.dtype.itemsize) == (b.dtype.kind, b.dtype.itemsize), name
            assert np.array_equal(a, b, equal_nan=b.dtype.kind == "f"), name


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _assert_stream_stopped() -> None:
    """No export's read-ahead thread is left and the catalog still answers."""
    assert [t.name for t in threading.enumerate() if t.name == "deslab-export-read"] == []
    assert deslab.query("SELECT COUNT(*) AS N FROM DR2_TILE_INFO")["N"][0] > 0


@pytest.fixture
def reference(catalog_env):
    return deslab.query(SQL, timeout=60)


@pytest.mark.parametrize("name", list(READ))
def test_roundtrip_with_astropy_and_provenance(name, reference, tmp_path):
    path = tmp_path / name
    result = deslab.query_to_file(SQL, path)
    assert result.paths == [path] and result.rows == len(reference) > 1000
    assert result.bytes == path.stat().st_size
    assert _listing(tmp_path) == [name]  # no temporary file left
    got = Table.read(path, **READ[name])
    _same(got, reference)
    if name != "out.fits":  # FITS keeps units; descriptions live in TCOMMn
        assert got["RA"].description.startswith("Right ascension")
    assert str(got["RA"].unit) == "deg"


def test_fits_passes_fitsverify_and_has_provenance(reference, tmp_path):
    path = tmp_path / "out.fits"
    deslab.query_to_file(SQL, path)
    proc = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "verification OK" in proc.stdout, proc.stdout
    with fits.open(path) as hdul:
        h = hdul[1].header
        assert h["NAXIS2"] == len(reference) == h["DESROWS"]
        assert h["DESQUERY"] == " ".join(SQL.split())
        assert h["DESCATLG"].startswith("duckdb://") and h["DESVERS"] == deslab.__version__
        ra = hdul[1].columns.names.index("RA") + 1
        assert h["DATE"] and h[f"TUNIT{ra}"] == "deg"
        assert np.array_equal(hdul[1].data["COADD_OBJECT_ID"], reference["COADD_OBJECT_ID"])


def test_hdf5_with_h5py_and_parquet_with_pyarrow(reference, tmp_path):
    deslab.query_to_file(SQL, tmp_path / "out.h5")
    with h5py.File(tmp_path / "out.h5") as f:
        ds = f["data"]
        assert ds.chunks is not None and ds.maxshape == (None,)
        assert ds.attrs["rows"] == str(len(reference))
        assert ds.attrs["query"] == SQL
        assert np.array_equal(ds["MAG_AUTO_I"], reference["MAG_AUTO_I"])
    deslab.query_to_file(SQL, tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    md = pq.read_metadata(tmp_path / "out.parquet").metadata
    assert md[b"deslab.rows"] == str(len(reference)).encode()
    assert json.loads(md[b"deslab.provenance"])["query"] == SQL
    assert table.schema.field("RA").metadata[b"unit"] == b"deg"
    assert np.array_equal(table["COADD_OBJECT_ID"].to_numpy(), reference["COADD_OBJECT_ID"])
    df = pd.read_csv(deslab.query_to_file(SQL, tmp_path / "out.csv.gz").paths[0])
    assert len(df) == len(reference) and np.allclose(df["RA"], reference["RA"])


@pytest.mark.parametrize("name", ["odd.fits", "odd.h5", "odd.vot", "odd.parquet", "odd.ecsv"])
def test_nulls_booleans_decimals_dates_unicode(name, odd_catalog, tmp_path):
    sql = "SELECT * FROM ODD ORDER BY ID"
    deslab.query_to_file(sql, tmp_path / name)
    if name.endswith(".fits"):
        proc = subprocess.run(["fitsverify", "-q", str(tmp_path / name)], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stdout
    if name.endswith(".parquet"):  # astropy cannot read null strings from Parquet: pyarrow
        got = Table(pq.read_table(tmp_path / name).to_pydict())
        for c in got.colnames:
            if got[c].dtype == object and None in list(got[c]):
                got[c] = np.ma.masked_array([v if v is not None else 0 for v in got[c]],
                                            mask=[v is None for v in got[c]])
    else:
        got = Table.read(tmp_path / name, **({"path": "data"} if name.endswith(".h5") else
                                             {}))
    assert len(got) == 100
    x = np.asarray(got["X"], dtype=float)
    if hasattr(got["X"], "mask") and np.any(got["X"].mask):
        x = np.where(got["X"].mask, np.nan, x)
    assert np.isnan(x[0]) and x[1] == 1.5
    s1 = _as_str(got["S"])[1].strip()
    # FITS and VOTable char columns are ASCII: other characters become '?'
    assert s1 == ("?ngstr?m ?" if name.endswith((".fits", ".vot")) else "Ångström ✓")
    assert list(np.asarray(got["FLAG"][:4]).astype(bool)) == [True, False, False, True]
    if name.endswith((".fits", ".vot", ".ecsv", ".parquet")):  # HDF5 keeps the TNULL value
        assert np.ma.is_masked(got["N"][7]) and got["N"][8] == 8
    assert float(got["D"][5]) == pytest.approx(1.25)


def test_split_into_numbered_files(reference, tmp_path):
    limit = 400_000
    result = deslab.query_to_file(SQL, tmp_path / "big.fits", max_file_bytes=limit)
    assert len(result.paths) >= 3
    assert [p.name for p in result.paths][:2] == ["big-001.fits", "big-002.fits"]
    assert _listing(tmp_path) == sorted(p.name for p in result.paths)
    rows = 0
    for k, p in enumerate(result.paths, start=1):
        assert p.stat().st_size <= limit + 2880 * 8
        with fits.open(p) as hdul:
            assert hdul[1].header["DESPART"] == k
            rows += hdul[1].header["NAXIS2"]
    assert rows == result.rows == len(reference)
    result = deslab.query_to_file(SQL, tmp_path / "big.parquet", max_file_bytes=limit)
    assert len(result.paths) >= 2
    assert sum(pq.read_metadata(p).num_rows for p in result.paths) == len(reference)


def test_bad_targets_are_clear_and_write_nothing(catalog_env, tmp_path):
    with pytest.raises(ExportError) as info:
        deslab.query_to_file(SQL, tmp_path / "out.xlsx")
    assert ".fits" in str(info.value) and ".parquet" in str(info.value)
    with pytest.raises(ExportError, match="does not exist"):
        deslab.query_to_file(SQL, tmp_path / "missing" / "out.fits")
    with pytest.raises(ExportError, match="directory"):
        deslab.query_to_file(SQL, tmp_path)
    with pytest.raises(ExportError, match="compression"):
        deslab.query_to_file(SQL, tmp_path / "x.fits", compression="zip")
    assert _listing(tmp_path) == []


def test_failed_export_keeps_previous_file_and_removes_partials(catalog_env, tmp_path):
    target = tmp_path / "keep.fits"
    target.write_bytes(b"previous result")

    def stop(rows, message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deslab.query_to_file("SELECT * FROM DR2_MAIN", target, progress=stop)
    assert target.read_bytes() == b"previous result"
    assert _listing(tmp_path) == ["keep.fits"]
    _assert_stream_stopped()
    # a timeout during the export: cancelled, nothing written
    slow = "SELECT a.RA, SIN(a.RA * b.DEC) AS S FROM DR2_MAIN a, DR2_MAIN b"
    with pytest.raises(deslab.DeslabError, match="timeout"):
        deslab.query_to_file(slow, tmp_path / "slow.parquet", timeout=1)
    assert _listing(tmp_path) == ["keep.fits"]
    _assert_stream_stopped()


def _mount_tmpfs(path: Path, options: str) -> None:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)


def test_full_disk_and_read_only_location(catalog_env, tmp_path):
    small = tmp_path / "small"
    _mount_tmpfs(small, "size=2m")
    try:
        for name in ("full.fits", "full.h5", "full.csv", "full.parquet", "full.vot"):
            with pytest.raises(ExportError, match="full") as info:
                deslab.query_to_file("SELECT * FROM DR2_MAIN", small / name)
            assert "Traceback" not in str(info.value)
            assert _listing(small) == [], name
            _assert_stream_stopped()
    finally:
        subprocess.run(["umount", str(small)], check=True)
    ro = tmp_path / "ro"
    _mount_tmpfs(ro, "ro,size=1m")
    try:
        with pytest.raises(ExportError, match="cannot write|read-only|permission") as info:
            deslab.query_to_file(SQL, ro / "x.fits")
        assert _listing(ro) == []
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def test_sigterm_removes_partial_files(demo_env, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = textwrap.dedent(f"""
        import sys, time
        import deslab
        def slow(rows, message):
            print("rows", rows, flush=True)
            time.sleep(0.2)
        deslab.query_to_file("SELECT * FROM DR2_MAIN", {str(out / 'x.fits')!r}, progress=slow)
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    try:
        first = proc.stdout.readline()
        assert first.startswith("rows"), first
        assert any(p.name.endswith(".tmp") for p in out.iterdir())  # partial file exists
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc != 0
    time.sleep(0.1)
    assert _listing(out) == []


@pytest.mark.parametrize("name", list(READ))
def test_empty_result_is_a_valid_empty_file(name, catalog_env, tmp_path):
    result = deslab.query_to_file("SELECT RA, TILENAME FROM DR2_MAIN WHERE RA > 1000",
                                  tmp_path / name)
    assert result.rows == 0 and result.paths == [tmp_path / name]
    got = Table.read(tmp_path / name, **READ[name])
    assert len(got) == 0 and got.colnames == ["RA", "TILENAME"]


@pytest.mark.parametrize("kind", ["hdf5", "parquet"])
def test_column_meta_is_the_header_astropy_writes(kind):
    """HDF5 and Parquet carry astropy's YAML header, built without astropy's writer."""
    import pyarrow as pa
    from astropy.table import meta
    from deslab.catalog.backends.base import ColumnInfo
    from deslab.catalog.writers.base import Provenance
    from deslab.catalog.writers.columns import (
        ColumnPlan,
        astropy_column,
        astropy_header,
        plan_datatype,
    )
    from deslab.catalog.writers.parquet import astropy_yaml

    description = 'Right ascension: it\'s "J2000" \u00e9'
    provenance = Provenance(query="SELECT * FROM X WHERE a = 'b'\n AND c: d",
                            catalog="duckdb://",
                            created="2026-11-25T00:00:00+00:00", deslab_version="1.0")
    table = Table(np.zeros(0, dtype=[("RA", "f8"), ("FLAGS", "i2"), ("TILENAME", "S12"),
                                     ("B", "?")]))
    table["RA"].unit = "deg"
    table["RA"].description = description
    table.meta.update(dict(provenance.items()))
    if kind == "hdf5":
        table["FLAGS"].meta["null_value"] = -32768
        plans = [ColumnPlan("RA", "f", np.dtype("f8"), unit="deg", description=description),
                 ColumnPlan("FLAGS", "i", np.dtype("i2"), null=-32768, had_nulls=True),
                 ColumnPlan("TILENAME", "s", np.dtype("S12"), width=12),
                 ColumnPlan("B", "b", np.dtype("?"))]
        lines = astropy_header(
            [astropy_column(p.name, plan_datatype(p), p.unit, p.description,
                            {"null_value": p.null} if p.had_nulls else None) for p in plans],
            dict(provenance.items()))
    else:
        del table.meta["rows"]
        table.replace_column("TILENAME", Table.Column(np.zeros(0, dtype=object)))
        schema = pa.schema([("RA", pa.float64()), ("FLAGS", pa.int16()),
                            ("TILENAME", pa.string()), ("B", pa.bool_())])
        info = {"RA": ColumnInfo("DR2_MAIN", "RA", "DOUBLE", "deg", description)}
        lines = astropy_yaml(schema, info, provenance).splitlines()
    theirs = meta.get_header_from_yaml(meta.get_yaml_from_table(table))
    if kind == "parquet":  # astropy marks object columns as JSON; ours hold plain strings
        for col in theirs["datatype"]:
            col.pop("subtype", None)
    assert meta.get_header_from_yaml(lines) == theirs

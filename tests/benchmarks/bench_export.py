"""Benchmark of deslab.query_to_file against DuckDB's own COPY and the easyaccess approach.

Exports a query selecting half of the demo survey's rows and all columns to each format and
prints rows/s and peak RSS (each measurement in its own subprocess), with ratios against:

- the floor: the same query streamed as Arrow batches and thrown away;
- DuckDB's ``COPY (query) TO`` Parquet and CSV (the practical limit);
- the easyaccess approach: DB-API ``fetchmany`` chunks -> pandas -> fitsio (FITS),
  pandas ``HDFStore.append`` (HDF5) and ``DataFrame.to_csv`` (CSV).

Usage::

    python tests/benchmarks/bench_export.py                       # 10M rows, easyaccess at 1M
    python tests/benchmarks/bench_export.py --rows 1000000 --easyaccess-rows 1000000

Catalogs are generated with ``deslab demo-data`` under ``--data-dir`` when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY = "SELECT * FROM DR2_MAIN WHERE MOD(COADD_OBJECT_ID, 2) = 0"
DUCK_QUERY = "SELECT * FROM DR2_MAIN WHERE COADD_OBJECT_ID % 2 = 0"
FORMATS = {"fits": "out.fits", "hdf5": "out.h5", "csv": "out.csv", "parquet": "out.parquet",
           "votable": "out.vot"}
EASYACCESS_CHUNK = 100_000


# -- workers (run in a subprocess each) ----------------------------------------------------

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and its threads (robust when other work shares the cores)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(mode: str, fmt: str, catalog: Path, out_dir: Path) -> dict:
    os.environ["DESLAB_CATALOG"] = f"duckdb://{catalog}"
    import duckdb  # noqa: F401  (imports are not part of the measurement)
    import pyarrow  # noqa: F401

    if mode in ("deslab", "floor"):
        import deslab.catalog.api  # noqa: F401
        import deslab.catalog.writers.fits  # noqa: F401
    cpu0 = _cpu_seconds()
    started = time.perf_counter()
    rows = 0
    if mode == "floor":
        from deslab.catalog import connect
        from deslab.catalog.dialect import parse

        backend = connect()
        reader = backend.stream(parse(QUERY), {}, 1 << 17)
        for batch in reader:
            rows += batch.num_rows
    elif mode == "deslab":
        import deslab

        rows = deslab.query_to_file(QUERY, out_dir / FORMATS[fmt]).rows
    elif mode == "duckdb_copy":
        import duckdb

        con = duckdb.connect(str(catalog), read_only=True)
        target = out_dir / FORMATS[fmt]
        kind = "PARQUET" if fmt == "parquet" else "CSV, HEADER"
        rows = con.execute(f"COPY ({DUCK_QUERY}) TO '{target}' (FORMAT {kind})").fetchone()[0]
    elif mode == "easyaccess":
        rows = _easyaccess(fmt, catalog, out_dir / FORMATS[fmt])
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out_dir.iterdir()) if out_dir.exists() else 0
    return {"rows": int(rows), "seconds": seconds, "cpu": _cpu_seconds() - cpu0,
            "peak_mb": _peak_mb(), "bytes": size}


def _easyaccess(fmt: str, catalog: Path, target: Path) -> int:
    """What easyaccess does: fetchmany chunks from a DB-API cursor into pandas, then write."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(str(catalog), read_only=True)
    cur = con.cursor()
    cur.execute(DUCK_QUERY)
    names = [d[0] for d in cur.description]
    rows = 0
    fits = store = None
    first = True
    try:
        while True:
            chunk = cur.fetchmany(EASYACCESS_CHUNK)
            if not chunk:
                break
            df = pd.DataFrame.from_records(chunk, columns=names)
            rows += len(df)
            if fmt == "fits":
                import fitsio

                if fits is None:
                    fits = fitsio.FITS(str(target), "rw", clobber=True)
                recs = df.to_records(index=False)
                recs = recs.astype([(n, "S32" if recs.dtype[n].kind == "O" else recs.dtype[n])
                                    for n in recs.dtype.names])
                if first:
                    fits.write(recs)
                else:
                    fits[-1].append(recs)
            elif fmt == "hdf5":
                if store is None:
                    store = pd.HDFStore(str(target), mode="w")
                store.append("data", df, format="table", index=False,
                             min_itemsize={"TILENAME": 16})
            elif fmt == "csv":
                df.to_csv(target, mode="w" if first else "a", header=first, index=False)
            first = False
    finally:
        if fits is not None:
            fits.close()
        if store is not None:
            store.close()
    return rows


# -- driver ---------------------------------------------------------------------------------

def ensure_catalog(data_dir: Path, rows: int) -> Path:
    out = data_dir / f"demo-{rows}"
    catalog = out / "catalog.duckdb"
    if not catalog.exists():
        print(f"generating the demo survey with {rows} rows in {out} ...", flush=True)
        subprocess.run([sys.executable, "-m", "deslab.cli", "demo-data", "--out", str(out),
                        "--rows", str(rows), "--tiles", "1"], check=True,
                       stdout=subprocess.DEVNULL)
    return catalog


OUT_ROOT: Path | None = None


def measure(mode: str, fmt: str, catalog: Path) -> dict:
    out_dir = Path(tempfile.mkdtemp(prefix="bench-export-", dir=OUT_ROOT or catalog.parent))
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", mode, fmt, str(catalog), str(out_dir)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{mode} {fmt} failed:\n{proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def row(label: str, r: dict) -> str:
    return (f"{label:28s} {r['rows']:>10d} rows {r['seconds']:8.2f} s ({r['cpu']:7.2f} s CPU) "
            f"{r['rows'] / r['seconds'] / 1e6:8.2f} Mrows/s  peak RSS {r['peak_mb']:7.0f} MB  "
            f"{r['bytes'] / 1e6:9.1f} MB")


def run_size(catalog: Path, formats: list[str], easyaccess: list[str]) -> dict:
    results: dict[str, dict] = {}
    results["floor"] = measure("floor", "-", catalog)
    print(row("floor (Arrow, discarded)", results["floor"]), flush=True)
    for fmt in ("parquet", "csv"):
        results[f"duckdb_copy:{fmt}"] = r = measure("duckdb_copy", fmt, catalog)
        print(row(f"DuckDB COPY {fmt}", r), flush=True)
    for fmt in formats:
        results[f"deslab:{fmt}"] = r = measure("deslab", fmt, catalog)
        print(row(f"deslab {fmt}", r), flush=True)
    for fmt in easyaccess:
        results[f"easyaccess:{fmt}"] = r = measure("easyaccess", fmt, catalog)
        print(row(f"easyaccess-style {fmt}", r), flush=True)
    return results


def ratios(res: dict, label: str) -> None:
    floor = res["floor"]
    print(f"\n-- ratios at {label} (speed ratio = other time / deslab time; "
          "memory = peak RSS above the floor's)")
    for fmt in FORMATS:
        d = res.get(f"deslab:{fmt}")
        if not d:
            continue
        parts = [f"deslab {fmt:8s} RSS +{d['peak_mb'] - floor['peak_mb']:6.0f} MB",
                 f"vs floor {d['seconds'] / floor['seconds']:5.2f}x time"]
        for other in ("duckdb_copy", "easyaccess"):
            o = res.get(f"{other}:{fmt}")
            if o:
                parts.append(f"{other} {o['seconds'] / d['seconds']:6.2f}x "
                             f"(CPU {o['cpu'] / d['cpu']:5.2f}x)")
        print("  ".join(parts))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, mode, fmt, catalog, out_dir = sys.argv
        print(json.dumps(worker(mode, fmt, Path(catalog), Path(out_dir))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--easyaccess-rows", type=int, default=1_000_000,
                        help="catalog size for the (slow) easyaccess baselines")
    parser.add_argument("--easyaccess-full", default="fits",
                        help="easyaccess formats also measured at --rows (comma list, or '')")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "deslab-bench")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where the outputs go (default: next to the catalog); /dev/shm "
                        "takes the disk out of the comparison on a machine shared with others")
    args = parser.parse_args()
    global OUT_ROOT
    OUT_ROOT = args.out_dir
    args.data_dir.mkdir(parents=True, exist_ok=True)
    formats = [f for f in args.formats.split(",") if f]
    print(f"query: {QUERY}")
    small = ensure_catalog(args.data_dir, args.easyaccess_rows)
    print(f"\n== {args.easyaccess_rows} rows in the catalog")
    res_small = run_size(small, formats, ["fits", "hdf5", "csv"])
    ratios(res_small, f"{args.easyaccess_rows} rows")
    if args.rows != args.easyaccess_rows:
        big = ensure_catalog(args.data_dir, args.rows)
        print(f"\n== {args.rows} rows in the catalog")
        full = [f for f in args.easyaccess_full.split(",") if f]
        res_big = run_size(big, formats, full)
        ratios(res_big, f"{args.rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

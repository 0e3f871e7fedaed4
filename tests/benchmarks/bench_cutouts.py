"""Benchmark: cutouts from DES-sized tiles, ours against the DESaccess bulkthumbs approach.

    .venv/bin/python tests/benchmarks/bench_cutouts.py [--tiles 2] [--pixels 10000]
        [--positions 1000] [--data DIR]

Generates (once, cached in DIR) a demo survey with ``--tiles`` tiles of ``--pixels`` squared
pixels in g, r, i, both as DES ships them (RICE, row-tiled ``.fits.fz``) and as plain FITS.
Then, each in its own process (so peak RSS is its own), for ``--positions`` random positions
inside the tiles, 1 arcmin stamps in g, r, i plus one Lupton RGB PNG each:

- ``bulkthumbs``: the DESaccess approach (one core): open each tile and band, decompress and
  load it fully, astropy ``Cutout2D`` per position, astropy ``writeto`` per stamp, and
  ``make_lupton_rgb(..., filename=...)`` per PNG;
- ``ours``: ``deslab.cutouts`` on both cores (each tile row decompressed once);
- ``reopen``: DESaccess's later pattern of reopening the tile per position (few positions);
- RGB PNG alone: astropy ``make_lupton_rgb`` with its default PNG writer (matplotlib)
  against ours (same colour mapping, Pillow at low compression).

Prints stamps/s (FITS stamps, the PNGs' time included), peak RSS and the ratios.
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

import numpy as np

BANDS = "gri"
SIZE_ARCMIN = 1.0
HERE = Path(__file__).resolve()
DEFAULT_OUT_BASE = Path("/dev/shm") if Path("/dev/shm").is_dir() else None


# -- data --------------------------------------------------------------------------------


def make_survey(root: Path, tiles: int, pixels: int) -> None:
    """The bench survey in root/fz and root/plain (reused when the parameters match)."""
    from deslab.demo import generate

    marker = root / "params.json"
    params = {"tiles": tiles, "pixels": pixels, "bands": BANDS, "version": 1}
    if marker.exists() and json.loads(marker.read_text()) == params:
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name, compress in (("fz", True), ("plain", False)):
        t0 = time.perf_counter()
        generate(root / name, rows=20_000, tiles=tiles, tile_pixels=pixels, bands=BANDS,
                 compress=compress)
        print(f"generated {name} tiles in {time.perf_counter() - t0:.0f} s", flush=True)
    marker.write_text(json.dumps(params))


def make_positions(root: Path, n: int, seed: int = 1) -> list[tuple[float, float, str]]:
    """Random positions inside the imaged tiles (1 arcmin from the image edges)."""
    import duckdb
    from astropy.io import fits
    from astropy.wcs import WCS

    con = duckdb.connect(str(root / "fz" / "catalog.duckdb"), read_only=True)
    names = [r[0] for r in con.execute(
        "SELECT TILENAME FROM DR2_TILE_INFO WHERE ID <= (SELECT UPFRONT_TILES FROM DEMO_SURVEY) "
        "ORDER BY ID"
    ).fetchall()]
    con.close()
    rng = np.random.default_rng(seed)
    out = []
    per_tile = np.bincount(rng.integers(0, len(names), n), minlength=len(names))
    for name, count in zip(names, per_tile, strict=True):
        header = fits.getheader(root / "plain" / "tiles" / name / f"{name}_g.fits", 1)
        w = WCS(header)
        margin = 60 / 0.263
        x = rng.uniform(margin, header["NAXIS1"] - margin, count)
        y = rng.uniform(margin, header["NAXIS2"] - margin, count)
        ra, dec = w.all_pix2world(x, y, 0)
        out += [(float(r % 360), float(d), name) for r, d in zip(ra, dec, strict=True)]
    return out


# -- methods (each run in a child process) -------------------------------------------------


def tile_path(survey: Path, tile: str, band: str) -> Path:
    folder = survey / "tiles" / tile
    return next(folder.glob(f"{tile}_{band}.fits*"))


def run_bulkthumbs(survey: Path, positions, out: Path) -> dict:
    """DESaccess bulkthumbs: full tile load, Cutout2D, writeto, make_lupton_rgb(filename)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.io import fits
    from astropy.nddata import Cutout2D
    from astropy.visualization import make_lupton_rgb
    from astropy.wcs import WCS

    by_tile: dict[str, list[int]] = {}
    for k, (_, _, tile) in enumerate(positions):
        by_tile.setdefault(tile, []).append(k)
    stamps = pngs = 0
    for tile, members in by_tile.items():
        cut: dict[tuple[int, str], np.ndarray] = {}
        for band in BANDS:
            with fits.open(tile_path(survey, tile, band), memmap=True) as hdul:
                hdu = hdul["SCI"]
                data = hdu.data  # decompressed fully for .fz, memory-mapped for plain
                wcs = WCS(hdu.header)
                for k in members:
                    ra, dec, _ = positions[k]
                    c = Cutout2D(data, SkyCoord(ra, dec, unit="deg"),
                                 (SIZE_ARCMIN * u.arcmin, SIZE_ARCMIN * u.arcmin), wcs=wcs,
                                 mode="trim")
                    fits.PrimaryHDU(c.data, header=c.wcs.to_header()).writeto(
                        out / f"{k}_{band}.fits", overwrite=True)
                    cut[k, band] = c.data
                    stamps += 1
                del data
        for k in members:
            make_lupton_rgb(cut[k, "i"], cut[k, "r"], cut[k, "g"], minimum=0, stretch=60, Q=8,
                            filename=str(out / f"{k}.png"))
            pngs += 1
    return {"stamps": stamps, "pngs": pngs}


def run_reopen(survey: Path, positions, out: Path) -> dict:
    """Reopen (and decompress) the tile for every position and band."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.io import fits
    from astropy.nddata import Cutout2D
    from astropy.wcs import WCS

    stamps = 0
    for k, (ra, dec, tile) in enumerate(positions):
        for band in BANDS:
            with fits.open(tile_path(survey, tile, band)) as hdul:
                hdu = hdul["SCI"]
                c = Cutout2D(hdu.data, SkyCoord(ra, dec, unit="deg"),
                             (SIZE_ARCMIN * u.arcmin, SIZE_ARCMIN * u.arcmin),
                             wcs=WCS(hdu.header), mode="trim")
                fits.PrimaryHDU(c.data, header=c.wcs.to_header()).writeto(
                    out / f"{k}_{band}.fits", overwrite=True)
                stamps += 1
    return {"stamps": stamps, "pngs": 0}


def run_ours(survey: Path, positions, out: Path) -> dict:
    import deslab

    os.environ["DESLAB_CATALOG"] = f"duckdb:///{survey / 'catalog.duckdb'}"
    os.environ["DESLAB_TILES"] = str(survey / "tiles")
    deslab.tiles_at(positions[0][0], positions[0][1])  # load the tile index (once a session)
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    s = deslab.cutouts([(r, d) for r, d, _ in positions], xsize=SIZE_ARCMIN, ysize=SIZE_ARCMIN,
                       bands=BANDS, rgb=True, output_dir=out, workers=os.cpu_count(),
                       rgb_minimum=0, rgb_stretch=60, rgb_q=8)
    seconds = time.perf_counter() - t0
    bad = [m for st, m in zip(s["STATUS"], s["MESSAGE"], strict=True) if st != "ok"]
    if bad:
        raise SystemExit(f"ours: {len(bad)} positions failed: {bad[:3]}")
    return {"stamps": len(s) * len(BANDS), "pngs": int(sum(1 for p in s["PNG"] if p)),
            "seconds": seconds, "cpu_start": cpu0}


def run_rgb(survey: Path, positions, out: Path) -> dict:
    """RGB PNG alone: astropy make_lupton_rgb(filename=...) against ours."""
    from astropy.io import fits
    from astropy.visualization import make_lupton_rgb
    from deslab.cutouts.rgb import LuptonParams, lupton_rgb, write_png

    n = min(300, len(positions))
    triples = []
    data = {b: fits.open(tile_path(survey, positions[0][2], b), memmap=True)["SCI"].data
            for b in BANDS}
    rng = np.random.default_rng(2)
    for _ in range(n):
        y, x = rng.integers(300, data["g"].shape[0] - 300, 2)
        triples.append([np.array(data[b][y:y + 228, x:x + 228], dtype=np.float32)
                        for b in "irg"])
    t0, c0 = time.perf_counter(), time.process_time()
    for k, (r, g, b) in enumerate(triples):
        make_lupton_rgb(r, g, b, minimum=0, stretch=60, Q=8, filename=str(out / f"a{k}.png"))
    astropy_s, astropy_cpu = time.perf_counter() - t0, time.process_time() - c0
    params = LuptonParams(0.0, 60.0, 8.0)
    t0, c0 = time.perf_counter(), time.process_time()
    for k, (r, g, b) in enumerate(triples):
        write_png(out / f"o{k}.png", lupton_rgb(r, g, b, params))
    ours_s, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"n": n, "astropy_s": astropy_s, "ours_s": ours_s, "astropy_cpu": astropy_cpu,
            "ours_cpu": ours_cpu}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


METHODS = {"bulkthumbs": run_bulkthumbs, "reopen": run_reopen, "ours": run_ours,
           "rgb": run_rgb}


def child(method: str, survey: Path, positions_file: Path, out_base: Path | None) -> None:
    positions = [tuple(p) for p in json.loads(positions_file.read_text())]
    out = Path(tempfile.mkdtemp(prefix=f"bench-{method}-", dir=out_base))
    import astropy.coordinates  # noqa: F401  (imports are not part of any method's time)
    import astropy.io.fits  # noqa: F401
    import astropy.nddata  # noqa: F401
    import astropy.visualization  # noqa: F401
    import astropy.wcs  # noqa: F401
    import matplotlib.image  # noqa: F401

    try:
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        result = METHODS[method](survey, positions, out)
        result.setdefault("seconds", time.perf_counter() - t0)
        result["cpu"] = cpu_seconds() - result.pop("cpu_start", cpu0)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def measure(method: str, survey: Path, positions, tmp: Path, out_base: Path | None) -> dict:
    pfile = tmp / f"positions-{method}-{len(positions)}.json"
    pfile.write_text(json.dumps(positions))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(HERE), "--child", method, "--survey",
                           str(survey), "--positions-file", str(pfile)]
                          + (["--out-base", str(out_base)] if out_base else []),
                          capture_output=True, text=True, env=env)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{method} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiles", type=int, default=2)
    ap.add_argument("--pixels", type=int, default=10000)
    ap.add_argument("--positions", type=int, default=1000)
    ap.add_argument("--reopen-positions", type=int, default=5)
    ap.add_argument("--data", type=Path,
                    default=Path(tempfile.gettempdir()) / "deslab-bench-cutouts")
    ap.add_argument("--child", choices=sorted(METHODS))
    ap.add_argument("--survey", type=Path)
    ap.add_argument("--positions-file", type=Path)
    ap.add_argument("--out-base", type=Path, default=DEFAULT_OUT_BASE,
                    help="where every method writes its stamps (default /dev/shm when it "
                         "exists, so that disk write-back does not dominate either side)")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.survey, args.positions_file, args.out_base)
        return

    make_survey(args.data, args.tiles, args.pixels)
    positions = make_positions(args.data, args.positions)
    n_stamps = len(positions) * len(BANDS)
    print(f"\nstamps written under {args.out_base or tempfile.gettempdir()}")
    print(f"{len(positions)} positions in {args.tiles} tiles of {args.pixels}x{args.pixels} "
          f"pixels, {SIZE_ARCMIN:g}' stamps in {BANDS} + 1 RGB PNG each "
          f"({n_stamps} FITS stamps), {os.cpu_count()} CPUs\n", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind in ("fz", "plain"):
            survey = args.data / kind
            base = measure("bulkthumbs", survey, positions, tmp, args.out_base)
            ours = measure("ours", survey, positions, tmp, args.out_base)
            rows.append((kind, base, ours))
            for label, r in ((f"bulkthumbs ({kind}, 1 core)", base),
                             (f"deslab.cutouts ({kind}, {os.cpu_count()} cores)", ours)):
                print(f"{label:<36} {r['stamps'] / r['seconds']:8.1f} stamps/s  "
                      f"{r['seconds']:7.2f} s  CPU {r['cpu']:7.2f} s  peak RSS "
                      f"{r['rss_mb']:6.0f} MB (workers {r['rss_children_mb']:4.0f} MB)",
                      flush=True)
        more = measure("ours", args.data / "fz", make_positions(args.data, 3 * args.positions,
                                                                seed=5), tmp, args.out_base)
        print(f"{'deslab.cutouts (fz, 3x positions)':<36} "
              f"{more['stamps'] / more['seconds']:8.1f} stamps/s  {more['seconds']:7.2f} s  "
              f"peak RSS {more['rss_mb']:7.0f} MB (workers {more['rss_children_mb']:5.0f} MB)")
        reopen = measure("reopen", args.data / "fz", positions[:args.reopen_positions], tmp,
                         args.out_base)
        print(f"{'reopen tile per position (fz)':<36} "
              f"{reopen['stamps'] / reopen['seconds']:8.1f} stamps/s  "
              f"{reopen['seconds']:7.2f} s  ({args.reopen_positions} positions)")
        rgb = measure("rgb", args.data / "plain", positions, tmp, args.out_base)
    print("\nratios (ours / bulkthumbs, stamps per second; and per CPU second, which a busy "
          "machine does not distort):")
    targets = {"fz": 2.0, "plain": 5.0}
    for kind, base, ours in rows:
        ratio = (ours["stamps"] / ours["seconds"]) / (base["stamps"] / base["seconds"])
        cpu_ratio = (ours["stamps"] / ours["cpu"]) / (base["stamps"] / base["cpu"])
        print(f"  {kind:<6} wall {ratio:6.2f}x  CPU {cpu_ratio:6.2f}x   "
              f"(target >= {targets[kind]:g}x on both cores)")
    astropy_rate, ours_rate = rgb["n"] / rgb["astropy_s"], rgb["n"] / rgb["ours_s"]
    print(f"RGB PNG (one process): astropy make_lupton_rgb + default PNG {astropy_rate:.1f}/s, "
          f"ours {ours_rate:.1f}/s: {ours_rate / astropy_rate:.2f}x wall, "
          f"{rgb['astropy_cpu'] / rgb['ours_cpu']:.2f}x CPU   (target >= 3x)")
    print(f"memory: ours peak RSS at {len(positions)} positions "
          f"{max(rows[0][2]['rss_mb'], rows[0][2]['rss_children_mb']):.0f} MB, at "
          f"{3 * len(positions)} positions "
          f"{max(more['rss_mb'], more['rss_children_mb']):.0f} MB")


if __name__ == "__main__":
    main()

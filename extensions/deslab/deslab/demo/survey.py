"""Generate the demo survey: a DuckDB catalog and the FITS tiles its objects are drawn in.

Sizes (see docs/demo-survey.md):

- ``rows`` catalog objects (default 100 000) spread uniformly over the unique areas of
  ``max(tiles, ceil(rows / 400))`` catalog tiles laid out around (RA, Dec) = (0, 0);
- the first ``tiles`` of them (default 6, a compact block, tile 0 straddling RA = 0) have
  pixel data: ``tile_pixels`` x ``tile_pixels`` images (default 1500, 6.6 arcmin) in grizY.
  Every catalog object that falls on an imaged tile (from its own tile or a neighbour's
  overlap) is drawn in it; objects of the other tiles exist only in the catalog.

Everything is a function of ``seed`` (and the sizes): the same arguments give the same
catalog rows and the same pixels.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from deslab.demo import images, schema
from deslab.demo.layout import PIXEL_SCALE, Tile, build_tiles, tile_row
from deslab.demo.objects import ANOMALIES_PER_KIND, ANOMALY_COLOURS, BANDS, generate_chunk
from deslab.demo.objects import plant_anomalies as _plant

DEFAULT_ROWS = 100_000
DEFAULT_TILES = 6
DEFAULT_SEED = 2
DEFAULT_TILE_PIXELS = 1500
ROWS_PER_TILE = 400
CHUNK_ROWS = 1_000_000
MAX_ROWS = 2_000_000_000


def generate(
    out_dir: str | Path,
    rows: int | None = None,
    tiles: int | None = None,
    seed: int = DEFAULT_SEED,
    compress: bool = True,
    *,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    bands: str = "grizY",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write ``out_dir/catalog.duckdb`` and ``out_dir/tiles/`` deterministically from ``seed``.

    Parameters
    ----------
    out_dir
        Directory to write into (created if missing; an existing demo survey is replaced).
    rows
        Number of catalog objects (default 100 000).
    tiles
        Number of tiles with pixel data (default 6; tile 0 straddles RA = 0).
    seed
        Random seed; the same seed and sizes give identical output.
    compress
        Write RICE tile-compressed ``.fits.fz`` (as DES ships tiles) or plain ``.fits``.
    tile_pixels
        Side of the square tile images in pixels (at 0.263"/pixel; at least 1500).
    bands
        Bands to write images for (default all of grizY; benchmarks write fewer).
    progress
        Called with a one-line message after each step.

    Returns
    -------
    pathlib.Path
        The catalog file.
    """
    rows = DEFAULT_ROWS if rows is None else int(rows)
    tiles = DEFAULT_TILES if tiles is None else int(tiles)
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be between 1 and {MAX_ROWS}, got {rows}")
    if not 1 <= tiles <= 1000:
        raise ValueError(f"tiles must be between 1 and 1000, got {tiles}")
    if not bands or any(b not in BANDS for b in bands):
        raise ValueError(f"bands must be letters from {''.join(BANDS)}, got {bands!r}")
    say = progress or (lambda msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".demo-survey.tmp"
    if work.exists():
        shutil.rmtree(work)
    (work / "tiles").mkdir(parents=True)
    t0 = time.perf_counter()
    try:
        n_tiles = max(tiles, math.ceil(rows / ROWS_PER_TILE))
        layout = build_tiles(n_tiles, tile_pixels)
        imaged = layout[:tiles]
        sources = _write_catalog(work / "catalog.duckdb", layout, imaged, rows, seed, compress,
                                 bands)
        say(f"catalog: {rows} rows, {n_tiles} tiles ({time.perf_counter() - t0:.1f} s)")
        _write_all_images(work / "tiles", imaged, sources, seed, compress, bands, say)
        target_tiles = out / "tiles"
        if target_tiles.exists():
            shutil.rmtree(target_tiles)
        (work / "tiles").rename(target_tiles)
        (work / "catalog.duckdb").replace(out / "catalog.duckdb")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"demo survey written to {out} in {time.perf_counter() - t0:.1f} s")
    return out / "catalog.duckdb"


def _write_catalog(
    path: Path, layout: list[Tile], imaged: list[Tile], rows: int, seed: int, compress: bool,
    bands: str,
) -> list[images.Sources]:
    """Create the tables, stream the objects in chunks; return what each imaged tile shows."""
    tile_ra = np.array([t.ra for t in layout])
    tile_dec = np.array([t.dec for t in layout])
    step_ra = np.array([t.step_ra for t in layout])
    step_dec = np.array([t.step_dec for t in layout])
    names = np.array([t.name for t in layout], dtype=object)
    names_arrow = pa.array(names, type=pa.string())
    parts: list[list[images.Sources]] = [[] for _ in imaged]
    planted: list[tuple[int, str]] = []
    con = duckdb.connect(str(path))
    try:
        for table in schema.TABLES:
            con.execute(schema.create_statement(table))
        main_names = [c.name for c in schema.DR2_MAIN]
        for c, start in enumerate(range(0, rows, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng([seed, c])
            chunk = generate_chunk(rng, n, start, tile_ra, tile_dec, step_ra, step_dec, names)
            if c == 0:
                planted = _plant_anomalies(chunk, len(imaged), rng)
            for k, tile in enumerate(imaged):
                parts[k].append(_sources_on(tile, chunk))
            arrays = []
            for name in main_names:
                if name == "TILENAME":
                    arrays.append(pa.DictionaryArray.from_arrays(
                        pa.array(chunk.tile.astype(np.int32)), names_arrow))
                else:
                    arrays.append(pa.array(chunk.columns[name]))
            batch = pa.table(arrays, names=main_names)  # noqa: F841 (read by DuckDB)
            con.execute("INSERT INTO DR2_MAIN SELECT * FROM batch")
        info = [tile_row(t, t.index < len(imaged), compress, bands) for t in layout]
        info_cols = [c.name for c in schema.DR2_TILE_INFO]
        info_table = pa.table(  # noqa: F841 (read by DuckDB)
            {name: [r[name] for r in info] for name in info_cols}
        )
        con.execute("INSERT INTO DR2_TILE_INFO SELECT * FROM info_table")
        con.executemany("INSERT INTO DEMO_PLANTED_ANOMALIES VALUES (?, ?)", planted)
        con.executemany("INSERT INTO DESLAB_COLUMNS VALUES (?, ?, ?, ?)", schema.metadata_rows())
        for stmt in schema.comment_statements():
            con.execute(stmt)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return [images.Sources.concat(p) for p in parts]


def _plant_anomalies(chunk, n_imaged: int, rng: np.random.Generator) -> list[tuple[int, str]]:
    """Make a few objects on the imaged tiles colour outliers; return (id, kind) pairs."""
    candidates = np.flatnonzero(chunk.tile < n_imaged)
    n = min(ANOMALIES_PER_KIND * len(ANOMALY_COLOURS), candidates.size)
    if n == 0:
        return []
    chosen = np.sort(rng.choice(candidates, n, replace=False))
    kinds = _plant(chunk, chosen, rng)
    ids = chunk.columns["COADD_OBJECT_ID"][chosen]
    return [(int(i), k) for i, k in zip(ids, kinds, strict=True)]


def _sources_on(tile: Tile, chunk) -> images.Sources:
    """The chunk's objects whose centre falls on the tile's image (plus a margin)."""
    cols = chunk.columns
    ra, dec = cols["RA"], cols["DEC"]
    half = tile.npix * PIXEL_SCALE / 3600.0 / 2.0 + 0.01
    dra = (ra - tile.ra + 180.0) % 360.0 - 180.0
    near = (np.abs(dec - tile.dec) < half) & (
        np.abs(dra) * math.cos(math.radians(tile.dec)) < half * 1.01
    )
    idx = np.flatnonzero(near)
    x, y = tile.wcs().wcs_world2pix(ra[idx], dec[idx], 0)
    margin = 20
    ok = (x > -margin) & (x < tile.npix + margin) & (y > -margin) & (y < tile.npix + margin)
    idx, x, y = idx[ok], x[ok], y[ok]
    return images.Sources(
        x=x,
        y=y,
        flux={b: cols[f"FLUX_AUTO_{b.upper()}"][idx].astype(np.float64) for b in BANDS},
        star=chunk.star[idx],
        size=chunk.size[idx],
        q=chunk.q[idx],
        theta=cols["THETA_J2000"][idx].astype(np.float64),
    )


def _write_all_images(
    tiles_dir: Path,
    imaged: list[Tile],
    sources: list[images.Sources],
    seed: int,
    compress: bool,
    bands: str,
    say: Callable[[str], None],
) -> None:
    """Render and write every (tile, band) image, in parallel over the CPUs (fork)."""
    for tile in imaged:
        (tiles_dir / tile.name).mkdir()
    jobs = [
        (tiles_dir, tile, src, k, seed, compress)
        for tile, src in zip(imaged, sources, strict=True)
        for k in range(len(BANDS))
        if BANDS[k] in bands
    ]
    workers = min(os.cpu_count() or 1, len(jobs), 8)
    if workers > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            list(pool.map(_write_image, jobs))
    else:
        for job in jobs:
            _write_image(job)
    for tile, src in zip(imaged, sources, strict=True):
        say(f"tile {tile.name}: {src.x.size} objects drawn in {bands}")


def _write_image(job: tuple[Path, Tile, images.Sources, int, int, bool]) -> None:
    tiles_dir, tile, src, k, seed, compress = job
    band = BANDS[k]
    ext = ".fits.fz" if compress else ".fits"
    rng = np.random.default_rng([seed, 1_000_003, tile.index, k])
    image = images.render(tile, band, src, rng)
    dither = 1 + (seed * 31 + tile.index * 5 + k) % 10000
    path = tiles_dir / tile.name / f"{tile.name}_{band}{ext}"
    images.write(path, image, images.header(tile, band), compress, dither)

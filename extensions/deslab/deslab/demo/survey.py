"""Generate the demo survey: a DuckDB catalog and the FITS tiles its objects are drawn in.

Sizes (see docs/demo-survey.md):

- ``rows`` catalog objects (default 100 000) spread uniformly over the unique areas of
  ``max(tiles, ceil(rows / 400) - 18)`` catalog tiles laid out around (RA, Dec) = (0, 0),
  plus the 18 tiles of the blocks on the fields of :data:`deslab.demo.layout.FIELDS`;
- every tile has ``tile_pixels`` x ``tile_pixels`` images (default 1500, 6.6 arcmin) in
  grizY and a detection image; the first ``tiles`` of them (default 6, a compact block, tile
  0 straddling RA = 0) are written now, the others on first use
  (:mod:`deslab.demo.tilegen`). Every catalog object that falls on a tile's image (from its
  own tile or a neighbour's overlap) is drawn in it.

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
from astropy.table import Table

from deslab.demo import schema, tilegen
from deslab.demo.layout import FIELD_TILES, IMAGE_BANDS, Tile, build_tiles, image_path, tile_row
from deslab.demo.objects import (
    ANOMALIES_PER_KIND,
    ANOMALY_COLOURS,
    BANDS,
    add_cluster,
    make_truth,
    measure,
    plant_anomalies,
)

DEFAULT_ROWS = 100_000
DEFAULT_TILES = 6
DEFAULT_SEED = 2
DEFAULT_TILE_PIXELS = 1500
ROWS_PER_TILE = 400
CHUNK_ROWS = 250_000
MAX_ROWS = 2_000_000_000
GENERATION_MEMORY = "1GB"  # DuckDB memory limit while writing the catalog
ANOMALY_TILES = DEFAULT_TILES  # the planted anomalies lie on the first tiles


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
        Number of tiles whose images are written now (default 6; tile 0 straddles RA = 0);
        the others are drawn on first use.
    seed
        Random seed; the same seed and sizes give identical output.
    compress
        Write RICE tile-compressed ``.fits.fz`` (as DES ships tiles) or plain ``.fits``.
    tile_pixels
        Side of the square tile images in pixels (at 0.263"/pixel; at least 1500).
    bands
        Bands to write images for now (default all of grizY, plus the detection image;
        benchmarks write fewer).
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
        # about ROWS_PER_TILE objects per tile, the field blocks included
        n_tiles = max(tiles, math.ceil(rows / ROWS_PER_TILE) - FIELD_TILES)
        layout = build_tiles(n_tiles, tile_pixels)
        imaged = layout[:tiles]
        _write_catalog(work / "catalog.duckdb", layout, len(imaged), rows, seed, compress,
                       bands, tile_pixels)
        say(f"catalog: {rows} rows, {len(layout)} tiles ({time.perf_counter() - t0:.1f} s)")
        _write_all_images(work, imaged, seed, compress, bands, say)
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
    path: Path, layout: list[Tile], n_imaged: int, rows: int, seed: int, compress: bool,
    bands: str, tile_pixels: int,
) -> None:
    """Create the tables and stream the objects into them in chunks."""
    tile_ra = np.array([t.ra for t in layout])
    tile_dec = np.array([t.dec for t in layout])
    step_ra = np.array([t.step_ra for t in layout])
    step_dec = np.array([t.step_dec for t in layout])
    names = np.array([t.name for t in layout], dtype=object)
    names_arrow = pa.array(names, type=pa.string())
    m2_tiles = np.array([t.index for t in layout if t.field == "M2"], dtype=np.int64)
    planted: list[tuple[int, str]] = []
    # DuckDB's buffer pool would otherwise keep the written blocks in memory (up to 80 % of
    # RAM: 18 GB at ten million rows); it writes them to the file instead
    con = duckdb.connect(str(path), config={"memory_limit": GENERATION_MEMORY})
    try:
        for table in schema.TABLES:
            con.execute(schema.create_statement(table))
        main_names = [c.name for c in schema.DR2_MAIN]
        for c, start in enumerate(range(0, rows, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng([seed, c])
            truth = make_truth(rng, n, tile_ra, tile_dec, step_ra, step_dec)
            add_cluster(truth, rng, m2_tiles, tile_ra, tile_dec, step_ra, step_dec)
            if c == 0:
                chosen = _anomaly_rows(truth.tile, rng)
                kinds = plant_anomalies(truth, chosen, rng)
            cols = measure(truth, rng, start, names, tile_ra, tile_dec, tile_pixels)
            if c == 0:
                ids = cols["COADD_OBJECT_ID"][chosen]
                planted = [(int(i), k) for i, k in zip(ids, kinds, strict=True)]
            arrays = []
            for name in main_names:
                if name == "TILENAME":
                    arrays.append(pa.DictionaryArray.from_arrays(
                        pa.array(truth.tile.astype(np.int32)), names_arrow))
                else:
                    arrays.append(pa.array(cols[name]))
            batch = pa.table(arrays, names=main_names)  # noqa: F841 (read by DuckDB)
            con.execute("INSERT INTO DR2_MAIN SELECT * FROM batch")
            truth_batch = pa.table({  # noqa: F841 (read by DuckDB)
                "COADD_OBJECT_ID": cols["COADD_OBJECT_ID"],
                "IS_STAR": truth.star,
                "SIZE": truth.size.astype(np.float32),
                "AXIS_RATIO": truth.q.astype(np.float32),
            })
            con.execute("INSERT INTO DEMO_OBJECT_TRUTH SELECT * FROM truth_batch")
            del batch, truth_batch, cols, truth
        # one transaction for the small tables and comments only: the chunks of DR2_MAIN are
        # committed one by one, so DuckDB never holds more than a chunk uncommitted
        con.begin()
        info = [tile_row(t, compress) for t in layout]
        info_cols = [c.name for c in schema.DR2_TILE_INFO]
        info_table = pa.table(  # noqa: F841 (read by DuckDB)
            {name: pa.array([r[name] for r in info],
                            type=pa.string() if name.startswith(("FITS_", "TIFF_")) else None)
             for name in info_cols}
        )
        con.execute("INSERT INTO DR2_TILE_INFO SELECT * FROM info_table")
        con.executemany("INSERT INTO DEMO_PLANTED_ANOMALIES VALUES (?, ?)", planted)
        con.execute("INSERT INTO DEMO_SURVEY VALUES (?, ?, ?, ?, ?)",
                    [seed, tile_pixels, n_imaged, compress, bands])
        for _name, (create, _cols) in schema.VIEWS.items():
            con.execute(create)
        con.executemany("INSERT INTO DESLAB_COLUMNS VALUES (?, ?, ?, ?)", schema.metadata_rows())
        for stmt in schema.comment_statements():
            con.execute(stmt)
        con.commit()
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _anomaly_rows(tile: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows (of the first chunk) on the central tiles to make colour outliers (the same
    whatever the number of tiles written up front)."""
    candidates = np.flatnonzero(tile < ANOMALY_TILES)
    n = min(ANOMALIES_PER_KIND * len(ANOMALY_COLOURS), candidates.size)
    if n == 0:
        return np.zeros(0, np.int64)
    return np.sort(rng.choice(candidates, n, replace=False))


def _write_all_images(
    work: Path,
    imaged: list[Tile],
    seed: int,
    compress: bool,
    bands: str,
    say: Callable[[str], None],
) -> None:
    """Render and write every (tile, band) image written up front, drawing the catalog rows
    exactly as :mod:`deslab.demo.tilegen` does on first use; in parallel over the CPUs."""
    tiles_dir = work / "tiles"
    con = duckdb.connect(str(work / "catalog.duckdb"), read_only=True)
    try:
        rows = {t.name: Table(con.sql(tilegen.source_sql(t)).fetchnumpy()) for t in imaged}
    finally:
        con.close()
    wanted = [b for b in IMAGE_BANDS if b in bands or (b == "det" and bands == "grizY")]
    jobs = []
    for tile in imaged:
        (tiles_dir / tile.name).mkdir()
        src = tilegen.sources(tile, rows[tile.name])
        jobs += [(tiles_dir / image_path(tile.name, b, compress), tile, b, src, seed, compress)
                 for b in wanted]
        say(f"tile {tile.name}: {src.x.size} objects drawn in {''.join(wanted[:5])}")
    workers = min(os.cpu_count() or 1, len(jobs), 8)
    if workers > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            list(pool.map(_write_image, jobs))
    else:
        for job in jobs:
            _write_image(job)


def _write_image(job) -> None:
    path, tile, band, src, seed, compress = job
    tilegen.write_band(path, tile, band, src, seed, compress)

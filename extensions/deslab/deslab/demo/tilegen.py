"""Tile images of the demo survey drawn from its catalog: up front, or on first use.

Every tile of ``DR2_TILE_INFO`` has images. ``deslab demo-data`` writes the first few; the
others are drawn the first time something asks for them (a cutout), from the catalog rows
(``DR2_MAIN`` joined with ``DEMO_OBJECT_TRUTH``) and the survey's seed (``DEMO_SURVEY``).
Both ways run :func:`render_band` on the same rows in the same order with the same random
stream, so a tile drawn on first use has exactly the pixels of one written up front.

Files drawn on first use are cached under ``DESLAB_TILES`` when it is writable, else under
``$XDG_CACHE_HOME/deslab/tiles/<catalog>`` (``~/.cache`` by default); a lock file per image
makes two processes asking at once draw it once.
"""

from __future__ import annotations

import fcntl
import hashlib
import multiprocessing as mp
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.table import Table

from deslab.demo import images
from deslab.demo.images import DET_BANDS
from deslab.demo.layout import PIXEL_SCALE, Tile, image_path
from deslab.demo.objects import BANDS

MARGIN_PIX = 20

Runner = Callable[[str], Table]


@dataclass(frozen=True)
class Survey:
    """How a demo survey was generated (its ``DEMO_SURVEY`` row)."""

    seed: int
    compress: bool


def tile_from_row(row) -> Tile:
    """The :class:`Tile` of a ``DR2_TILE_INFO`` row (mapping of column name to value)."""
    return Tile(
        index=int(row["ID"]) - 1,
        name=str(row["TILENAME"]).strip(),
        ra=float(row["RA_CENT"]),
        dec=float(row["DEC_CENT"]),
        step_ra=float((row["URAMAX"] - row["URAMIN"]) % 360.0),
        step_dec=float(row["UDECMAX"] - row["UDECMIN"]),
        npix=int(row["NAXIS1"]),
    )


def source_sql(tile: Tile) -> str:
    """The catalog rows drawn in a tile's images: objects whose centre is on the image (with
    a margin), in COADD_OBJECT_ID order. Plain SQL that DuckDB and the Oracle dialect run."""
    half = (tile.npix / 2 + MARGIN_PIX) * PIXEL_SCALE / 3600.0 + 0.002
    d0, d1 = tile.dec - half, tile.dec + half
    cosd = max(np.cos(np.radians(max(abs(d0), abs(d1)))), 1e-6)
    half_ra = min(half / cosd, 180.0)
    lo, hi = float((tile.ra - half_ra) % 360.0), float((tile.ra + half_ra) % 360.0)
    d0, d1 = float(d0), float(d1)
    ra_cond = (f"(m.ALPHAWIN_J2000 >= {lo!r} OR m.ALPHAWIN_J2000 <= {hi!r})" if lo > hi
               else f"m.ALPHAWIN_J2000 BETWEEN {lo!r} AND {hi!r}")
    fluxes = ", ".join(f"m.FLUX_AUTO_{b.upper()}" for b in BANDS)
    return (
        "SELECT m.COADD_OBJECT_ID, m.ALPHAWIN_J2000, m.DELTAWIN_J2000, m.THETA_J2000, "
        f"{fluxes}, t.IS_STAR, t.SIZE, t.AXIS_RATIO "
        "FROM DR2_MAIN m JOIN DEMO_OBJECT_TRUTH t ON m.COADD_OBJECT_ID = t.COADD_OBJECT_ID "
        f"WHERE m.DELTAWIN_J2000 BETWEEN {d0!r} AND {d1!r} AND {ra_cond} "
        "ORDER BY m.COADD_OBJECT_ID"
    )


def sources(tile: Tile, rows: Table) -> images.Sources:
    """The rows of :func:`source_sql` as pixel positions and shapes in the tile's images."""
    cols = {c.upper(): c for c in rows.colnames}

    def col(name: str, dtype=np.float64) -> np.ndarray:
        return np.asarray(rows[cols[name]], dtype=dtype)

    x, y = tile.wcs().wcs_world2pix(col("ALPHAWIN_J2000"), col("DELTAWIN_J2000"), 0)
    ok = ((x > -MARGIN_PIX) & (x < tile.npix + MARGIN_PIX)
          & (y > -MARGIN_PIX) & (y < tile.npix + MARGIN_PIX))
    return images.Sources(
        x=x[ok],
        y=y[ok],
        flux={b: col(f"FLUX_AUTO_{b.upper()}")[ok] for b in BANDS},
        star=col("IS_STAR", bool)[ok],
        size=col("SIZE")[ok],
        q=col("AXIS_RATIO")[ok],
        theta=col("THETA_J2000")[ok],
    )


def _band_image(tile: Tile, band: str, src: images.Sources, seed: int) -> np.ndarray:
    k = BANDS.index(band)
    rng = np.random.default_rng([seed, 1_000_003, tile.index, k])
    return images.render(tile, band, src, rng)


def render_band(tile: Tile, band: str, src: images.Sources, seed: int) -> np.ndarray:
    """The image of one band (grizY, or ``det``: the mean of the r, i and z images)."""
    if band == "det":
        return np.mean([_band_image(tile, b, src, seed) for b in DET_BANDS], axis=0,
                       dtype=np.float32)
    return _band_image(tile, band, src, seed)


def write_band(path: Path, tile: Tile, band: str, src: images.Sources, seed: int,
               compress: bool) -> None:
    """Render and write one image file (atomically: a temporary name, then a rename)."""
    k = BANDS.index(band) if band in BANDS else len(BANDS)
    dither = 1 + (seed * 31 + tile.index * 5 + k) % 10000
    image = render_band(tile, band, src, seed)
    images.write(path, image, images.header(tile, band), compress, dither)


# ---- on first use ---------------------------------------------------------------------

_lock = threading.Lock()
_surveys: dict[str, Survey | None] = {}


def demo_survey(catalog: str) -> Survey | None:
    """The ``DEMO_SURVEY`` row of a catalog; None when it is not a demo survey."""
    with _lock:
        if catalog in _surveys:
            return _surveys[catalog]
    from deslab.catalog.api import find_tables, query

    found = None
    names = find_tables("DEMO_SURVEY", catalog=catalog)["TABLE_NAME"]
    if any(str(t).upper() == "DEMO_SURVEY" for t in names):
        row = query("SELECT SEED, COMPRESS FROM DEMO_SURVEY", catalog=catalog, timeout=60)
        if len(row):
            found = Survey(int(row["SEED"][0]), bool(row["COMPRESS"][0]))
    with _lock:
        _surveys[catalog] = found
    return found


def cache_root(catalog: str, tiles_dir: Path) -> Path:
    """Where images drawn on first use go: the tile directory when this process may write
    there, else a per-user cache directory named after the catalog."""
    if os.access(tiles_dir, os.W_OK):
        return tiles_dir
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(catalog.encode()).hexdigest()[:16]
    return base / "deslab" / "tiles" / key


def planned_files(catalog: str, tiles_dir: Path, tilename: str) -> dict[str, Path]:
    """For a demo survey, where each grizY image of a tile is or will be (band -> path);
    empty for another catalog."""
    survey = demo_survey(catalog)
    if survey is None:
        return {}
    out = {}
    for band in BANDS:
        rel = image_path(tilename, band, survey.compress)
        there = tiles_dir / rel
        out[band] = there if there.exists() else cache_root(catalog, tiles_dir) / rel
    return out


def ensure(catalog: str, path: Path, tilename: str, band: str) -> Path:
    """Draw ``path`` (one band of a tile of the demo survey) unless it exists."""
    ensure_many(catalog, [(tilename, band, path)])
    return path


def ensure_many(catalog: str, wanted: list[tuple[str, str, Path]], workers: int | None = None
                ) -> None:
    """Draw the images ``(tilename, band, path)`` of the demo survey that do not exist yet.

    The catalog rows are read here (once per tile); the images are drawn in parallel by
    forked processes that touch no database. A lock file per image makes concurrent callers
    (other processes too) draw each image once; the others wait for it and reuse it.
    """
    missing = [(t, b, p) for t, b, p in wanted if not p.exists()]
    if not missing:
        return
    survey = demo_survey(catalog)
    if survey is None:
        raise FileNotFoundError(missing[0][2])
    jobs = []
    by_tile: dict[str, list[tuple[str, Path]]] = {}
    for t, b, p in missing:
        by_tile.setdefault(t, []).append((b, p))
    for tilename, items in by_tile.items():
        tile, rows = _tile_and_rows(catalog, tilename)
        src = sources(tile, rows)
        jobs += [(p, tile, b, src, survey.seed, survey.compress) for b, p in items]
    n = min(workers or os.cpu_count() or 1, len(jobs), 8)
    if n > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(n, mp_context=mp.get_context("fork")) as pool:
            list(pool.map(_locked_write, jobs))
    else:
        for job in jobs:
            _locked_write(job)


def _locked_write(job: tuple[Path, Tile, str, images.Sources, int, bool]) -> None:
    path, tile, band, src, seed, compress = job
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.exists():
                write_band(path, tile, band, src, seed, compress)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _tile_and_rows(catalog: str, tilename: str) -> tuple[Tile, Table]:
    from deslab.catalog.api import query

    info = query("SELECT ID, TILENAME, RA_CENT, DEC_CENT, URAMIN, URAMAX, UDECMIN, UDECMAX, "
                 "NAXIS1 FROM DR2_TILE_INFO WHERE TILENAME = :name", binds={"name": tilename},
                 catalog=catalog, timeout=60)
    if not len(info):
        raise FileNotFoundError(f"no tile {tilename} in the catalog")
    tile = tile_from_row(info[0])
    return tile, query(source_sql(tile), catalog=catalog, timeout=300)


def reset() -> None:
    """Forget what is known about catalogs (after one changed)."""
    with _lock:
        _surveys.clear()

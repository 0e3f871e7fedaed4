"""``deslab.cutouts``: FITS stamps and colour PNGs around sky positions.

>>> import deslab
>>> summary = deslab.cutouts([(0.01, -0.02), (359.98, 0.03)], xsize=1.0, bands="gri",
...                          output_dir="stamps")                          # doctest: +SKIP
>>> summary["STATUS", "TILENAME", "FILES", "MESSAGE"]                       # doctest: +SKIP

Every input row gets one summary row; bad rows are reported there and the good rows are
still produced. Work is grouped by tile, so each tile and band is opened (and each image row
decompressed) once, and spread over the CPUs.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from deslab.contract import CUTOUT
from deslab.cutouts import positions as _pos
from deslab.cutouts import rgb as _rgb
from deslab.cutouts.stamps import TileImage, cut, plan_blocks, stamp_box, stamp_header, write_fits
from deslab.cutouts.tiles import ensure_images, tile_files, tile_index
from deslab.errors import CutoutError
from deslab.settings import settings

MIN_SIZE: float = CUTOUT["min_size_arcmin"]
DEFAULT_MAX_SIZE: float = CUTOUT["max_size_arcmin"]  # DESLAB_CUTOUT_MAX_SIZE changes it
DEFAULT_MAX_ROWS = 10_000  # positions per call; DESLAB_CUTOUT_MAX_ROWS changes it
EDGE_MODES = tuple(CUTOUT["edges"])
PARALLEL_MIN_ROWS = 16
MAX_UNIT_ROWS = 100  # positions per unit of work (bounds the time a cancel waits for)


def max_size_default() -> float:
    return float(os.environ.get(CUTOUT["max_size_variable"]) or DEFAULT_MAX_SIZE)


def max_rows_default() -> int:
    return int(os.environ.get("DESLAB_CUTOUT_MAX_ROWS") or DEFAULT_MAX_ROWS)


@dataclass
class _Options:
    out: Path
    edge: str
    write_fits: bool
    rgb_bands: str | None  # three bands, or None for no PNG
    lupton: _rgb.LuptonParams


def cutouts(
    positions: Any,
    xsize: float = 1.0,
    ysize: float = 1.0,
    bands: str = "gri",
    rgb: bool = True,
    output_dir: str | os.PathLike = "cutouts",
    *,
    rgb_bands: str | None = None,
    rgb_minimum: float = 0.0,
    rgb_stretch: float = 60.0,
    rgb_q: float = 8.0,
    edge: str = "trim",
    fits: bool = True,
    max_size: float | None = None,
    max_rows: int | None = None,
    workers: int | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Table:
    """Cut FITS stamps (and Lupton RGB PNGs) around sky positions from the survey tiles.

    Parameters
    ----------
    positions
        A list of (ra, dec) pairs, an astropy Table, a pandas DataFrame, or a CSV file path
        (or CSV text), with RA,DEC (degrees) or COADD_OBJECT_ID columns. Optional columns
        XSIZE, YSIZE (arcmin) and BANDS override the arguments below for that row.
    xsize, ysize : float
        Stamp width and height in arcminutes (0.1 to 12 by default; the cap is
        ``max_size`` or ``DESLAB_CUTOUT_MAX_SIZE``).
    bands : str
        Bands to write FITS stamps for, from ``grizY`` (e.g. ``"gri"``).
    rgb : bool
        Also write a Lupton RGB PNG per position.
    output_dir : path
        Directory for the files (created if missing).
    rgb_bands : str, optional
        The three bands of the PNG (default: ``bands`` when it has three, else ``"gri"``);
        the reddest is shown red.
    rgb_minimum, rgb_stretch, rgb_q : float
        ``minimum``, ``stretch`` and ``Q`` of astropy's ``make_lupton_rgb``.
    edge : {"trim", "pad"}
        At a tile edge, ``"trim"`` keeps the part of the stamp inside the tile (smaller
        stamp, WCS still right); ``"pad"`` keeps the full size and fills outside with NaN.
    fits : bool
        Write the FITS stamps (False: only the PNGs).
    max_size : float, optional
        Largest allowed size in arcminutes.
    max_rows : int, optional
        Most positions accepted in one call (default 10 000 or ``DESLAB_CUTOUT_MAX_ROWS``).
    workers : int, optional
        Processes to use (default: all CPUs, one for small requests).
    progress : callable, optional
        Called as ``progress(fraction, message)`` while tiles are processed.

    Returns
    -------
    astropy.table.Table
        One row per input row: ROW, RA, DEC, COADD_OBJECT_ID, XSIZE, YSIZE, BANDS, STATUS
        (``ok``, ``partial`` or ``error``), TILENAME, FILES (names in ``output_dir``,
        space-separated), PNG, MESSAGE. ``meta["output_dir"]`` is the directory.

    Raises
    ------
    CutoutError
        When the input as a whole is unusable (no rows, no position columns, not UTF-8,
        too many rows) or an argument is invalid; problems of single rows are reported in
        the summary instead.
    """
    cap = float(max_size) if max_size is not None else max_size_default()
    limit = int(max_rows) if max_rows is not None else max_rows_default()
    bands = _pos.parse_bands(bands)
    xsize = _pos.check_size(xsize, "xsize", MIN_SIZE, cap)
    ysize = _pos.check_size(ysize, "ysize", MIN_SIZE, cap)
    if edge not in EDGE_MODES:
        raise CutoutError(f"edge must be one of {', '.join(EDGE_MODES)}, got {edge!r}")
    lupton = _rgb.LuptonParams(rgb_minimum, rgb_stretch, rgb_q)
    chosen_rgb = None
    if rgb:
        lupton.check()
        chosen_rgb = _pos.parse_bands(rgb_bands or (bands if len(bands) == 3 else "gri"),
                                      "rgb_bands")
        if len(chosen_rgb) != 3:
            raise CutoutError(f"rgb_bands must name three bands, got {chosen_rgb!r}")
    if not fits and not rgb:
        raise CutoutError("nothing to do: fits=False and rgb=False")
    tiles_dir = settings().require_tiles()

    requests = _pos.build_requests(_pos.rows_of(positions, limit), xsize, ysize, bands,
                                   MIN_SIZE, cap)
    _resolve_ids(requests)
    _assign_tiles(requests, tiles_dir, chosen_rgb if rgb else None, fits)

    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CutoutError(f"cannot create the output directory {out}: {exc.strerror}") from None
    opts = _Options(out, edge, fits, chosen_rgb, lupton)
    _name_files(requests)
    units = _units(requests, tiles_dir, workers)
    _draw_missing_images(units, opts, workers)
    _run(units, opts, requests, workers, progress)
    return _summary(requests, out, opts)


def _resolve_ids(requests: list[_pos.Request]) -> None:
    from deslab.cutouts.catalog_access import object_positions

    need = [r for r in requests if r.error is None and r.ra is None]
    if not need:
        return
    found = object_positions(sorted({r.coadd_id for r in need}))
    where = {int(i): (float(ra), float(dec))
             for i, ra, dec in zip(found["COADD_OBJECT_ID"], found["RA"], found["DEC"],
                                   strict=True)}
    for r in need:
        if r.coadd_id in where:
            r.ra, r.dec = where[r.coadd_id]
        else:
            r.error = f"COADD_OBJECT_ID {r.coadd_id} is not in the catalog"


def _assign_tiles(requests: list[_pos.Request], tiles_dir: Path, rgb_bands: str | None,
                  fits: bool) -> None:
    """Pick each row's tile: the covering tile with image data where it lies farthest from
    the edge."""
    todo = [r for r in requests if r.error is None]
    if not todo:
        return
    index = tile_index()
    found = index.locate([r.ra for r in todo], [r.dec for r in todo])
    files_cache: dict[str, dict[str, Path]] = {}
    for r, (idx, _dist) in zip(todo, found, strict=True):
        if idx.size == 0:
            r.error = f"({r.ra:.6f}, {r.dec:.6f}) is off the survey footprint: no tile covers it"
            continue
        names = [str(index.names[i]) for i in idx]
        for name in names:
            if name not in files_cache:
                files_cache[name] = tile_files(name, tiles_dir)
        with_data = [n for n in names if files_cache[n]]
        if not with_data:
            r.error = (f"tile {names[0]} covers ({r.ra:.6f}, {r.dec:.6f}) but has no image "
                       "data in this survey")
            continue
        r.tilename = with_data[0]
        wanted = set(r.bands if fits else "") | set(rgb_bands or "")
        missing = sorted(wanted - set(files_cache[r.tilename]), key=_pos.VALID_BANDS.index)
        if missing and not (set(r.bands) & set(files_cache[r.tilename])):
            r.error = f"tile {r.tilename} has no image in band(s) {''.join(missing)}"
        elif missing:
            r.message = f"tile {r.tilename} has no image in band(s) {''.join(missing)}"
            r.partial = True


def _name_files(requests: list[_pos.Request]) -> None:
    seen: set[str] = set()
    for r in requests:
        if r.error is not None:
            continue
        base = des_name(r.ra, r.dec)
        if base in seen:
            base = f"{base}_{r.row}"
        seen.add(base)
        r.stem = base


def des_name(ra: float, dec: float) -> str:
    """DESaccess-style stem: DESJhhmmss.ss+ddmmss.s."""
    cs = int(round(ra / 15.0 * 3600 * 100)) % (24 * 3600 * 100)
    hh, rem = divmod(cs, 3600 * 100)
    mm, rem = divmod(rem, 60 * 100)
    ds = int(round(abs(dec) * 3600 * 10))
    dd, drem = divmod(ds, 3600 * 10)
    dm, drem = divmod(drem, 60 * 10)
    sign = "-" if dec < 0 else "+"
    return f"DESJ{hh:02d}{mm:02d}{rem // 100:02d}.{rem % 100:02d}{sign}{dd:02d}{dm:02d}" \
           f"{drem // 10:02d}.{drem % 10:d}"


@dataclass(frozen=True)
class UnitRow:
    """One position of a unit of work: the input row, where, how big, which bands, names."""

    row: int
    ra: float
    dec: float
    xsize: float
    ysize: float
    bands: str
    stem: str


@dataclass
class RowResult:
    """What cutting one row gave: its status (``ok``, ``partial``, ``error``), messages,
    the FITS files and the PNG written."""

    row: int
    status: str
    message: str
    files: list[str]
    png: str = ""


@dataclass
class _Unit:
    tilename: str
    files: dict[str, Path]
    rows: list[UnitRow]


def _units(requests: list[_pos.Request], tiles_dir: Path, workers: int | None) -> list[_Unit]:
    by_tile: dict[str, list[_pos.Request]] = {}
    for r in requests:
        if r.error is None:
            by_tile.setdefault(r.tilename, []).append(r)
    n_workers = _n_workers(workers, sum(len(v) for v in by_tile.values()))
    units = []
    for name, reqs in by_tile.items():
        reqs.sort(key=lambda r: r.dec)
        # split big tiles so that every worker has work; each part reads its own rows
        parts = max(1, min(len(reqs) // 8, math.ceil(2 * n_workers / max(len(by_tile), 1))))
        size = min(math.ceil(len(reqs) / parts), MAX_UNIT_ROWS)
        files = tile_files(name, tiles_dir)
        for start in range(0, len(reqs), size):
            chunk = reqs[start:start + size]
            units.append(_Unit(name, files, [
                UnitRow(r.row, r.ra, r.dec, r.xsize, r.ysize, r.bands, r.stem) for r in chunk
            ]))
    return units


def _draw_missing_images(units: list[_Unit], opts: _Options, workers: int | None) -> None:
    """Demo survey: draw the tile images the stamps need that are not on disk yet."""
    wanted: dict[tuple[str, str], Path] = {}
    for u in units:
        bands = set(opts.rgb_bands or "")
        for row in u.rows:
            bands |= set(row.bands) if opts.write_fits else set()
        for b in bands:
            if b in u.files and not u.files[b].exists():
                wanted[(u.tilename, b)] = u.files[b]
    ensure_images(wanted, workers)


def _n_workers(workers: int | None, n_rows: int) -> int:
    if workers is not None:
        if not isinstance(workers, int) or workers < 1:
            raise CutoutError(f"workers must be a positive integer, got {workers!r}")
        return workers
    return 1 if n_rows < PARALLEL_MIN_ROWS else (os.cpu_count() or 1)


def _run(units: list[_Unit], opts: _Options, requests: list[_pos.Request],
         workers: int | None, progress: Callable[[float, str], None] | None) -> None:
    n_rows = sum(len(u.rows) for u in units)
    n_workers = min(_n_workers(workers, n_rows), max(len(units), 1))
    by_row = {r.row: r for r in requests}
    done = 0

    def record(results: list[RowResult], tilename: str) -> None:
        nonlocal done
        for res in results:
            r = by_row[res.row]
            r.status = res.status
            r.message = "; ".join(m for m in (r.message, res.message) if m)
            r.files = res.files + ([res.png] if res.png else [])
        done += len(results)
        if progress is not None:
            progress(done / max(n_rows, 1), f"{done}/{n_rows} positions (tile {tilename})")

    if n_workers > 1 and "fork" in mp.get_all_start_methods():
        pool = mp.get_context("fork").Pool(n_workers, initializer=_worker_init)
        try:
            for tilename, results in pool.imap_unordered(_process_part, [(u, opts)
                                                                         for u in units]):
                record(results, tilename)
        except BaseException:  # cancelled (progress raised), interrupted or failed
            pool.terminate()
            raise
        else:
            pool.close()
        finally:
            pool.join()
    else:
        for u in units:
            record(process_unit(u, opts), u.tilename)


def _worker_init() -> None:
    """Pool processes stop on SIGTERM and leave Ctrl-C to the parent (which ends them)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_part(args: tuple[_Unit, _Options]) -> tuple[str, list[RowResult]]:
    unit, opts = args
    return unit.tilename, process_unit(unit, opts)


def process_unit(unit: _Unit, opts: _Options) -> list[RowResult]:
    """Cut every stamp of one tile (part): one :class:`RowResult` per row."""
    wanted = set()
    for u in unit.rows:
        wanted |= set(u.bands) if opts.write_fits else set()
    if opts.rgb_bands:
        wanted |= set(opts.rgb_bands)
    bands = [b for b in _pos.VALID_BANDS if b in wanted and b in unit.files]
    if not bands:
        msg = f"tile {unit.tilename} has no image in band(s) {''.join(sorted(wanted))}"
        return [RowResult(u.row, "error", msg, []) for u in unit.rows]
    results: dict[int, dict[str, Any]] = {
        u.row: {"files": [], "messages": [], "rgb": {}} for u in unit.rows
    }
    images = {}
    try:
        for b in bands:
            images[b] = TileImage(unit.files[b])
        ref = images[bands[0]]
        ra = np.array([u.ra for u in unit.rows])
        dec = np.array([u.dec for u in unit.rows])
        x, y = ref.wcs.all_world2pix(ra, dec, 0)
        scale = ref.pixel_scale()
        boxes = []
        for k, u in enumerate(unit.rows):
            nx = max(1, int(round(u.xsize * 60.0 / scale)))
            ny = max(1, int(round(u.ysize * 60.0 / scale)))
            boxes.append(stamp_box(float(x[k]), float(y[k]), nx, ny))
        for y0, y1, members in plan_blocks(boxes, ref.height, ref.width):
            for b in bands:
                img = images[b]
                block = img.read_rows(y0, y1) if img.row_tiled and y1 > y0 else None
                for k in members:
                    _one_stamp(unit, opts, img, b, block, y0, boxes[k], k, results)
            if opts.rgb_bands:
                for k in members:
                    _one_png(unit, opts, k, results)
    finally:
        for img in images.values():
            img.close()
    out = []
    for u in unit.rows:
        res = results[u.row]
        status = "ok" if res["files"] or res.get("png") else "error"
        if status == "ok" and res.get("partial"):
            status = "partial"
        msgs = list(dict.fromkeys(res["messages"]))
        out.append(RowResult(u.row, status, "; ".join(msgs), res["files"], res.get("png", "")))
    return out


def _one_stamp(unit, opts, img: TileImage, band: str, block, y0: int, box, k: int,
               results) -> None:
    u = unit.rows[k]
    res = results[u.row]
    x0c, y0c, x1c, y1c = box.clipped(img.width, img.height)
    if x1c <= x0c or y1c <= y0c:
        res["messages"].append("the stamp lies outside the tile image")
        return
    if block is not None:
        data, sx, sy = cut(block, 0, y0, box, img.width, img.height, opts.edge)
    else:
        src = img.read(x0c, y0c, x1c, y1c)
        data, sx, sy = cut(src, x0c, y0c, box, img.width, img.height, opts.edge)
    if (x0c, y0c, x1c - x0c, y1c - y0c) != (box.x0, box.y0, box.nx, box.ny):
        what = (f"trimmed to {data.shape[1]}x{data.shape[0]} pixels" if opts.edge == "trim"
                else "padded with NaN")
        res["messages"].append(f"at the edge of tile {unit.tilename}: {what}")
    if opts.rgb_bands and band in opts.rgb_bands:
        res["rgb"][band] = data
    if opts.write_fits and band in u.bands:
        name = f"{u.stem}_{band}.fits"
        extra = {"OBJ_RA": float(u.ra), "OBJ_DEC": float(u.dec), "XSIZE": float(u.xsize),
                 "YSIZE": float(u.ysize), "EDGEMODE": opts.edge, "ORIGIN": "deslab cutouts"}
        write_fits(opts.out / name, data, stamp_header(img, sx, sy, extra))
        res["files"].append(name)


def _one_png(unit, opts: _Options, k: int, results) -> None:
    u = unit.rows[k]
    res = results[u.row]
    have = res.pop("rgb", {})
    res["rgb"] = {}
    r_b, g_b, b_b = _rgb.order_rgb(opts.rgb_bands)
    if not all(b in have for b in (r_b, g_b, b_b)):
        missing = "".join(b for b in opts.rgb_bands if b not in have)
        res["messages"].append(f"no colour image: band(s) {missing} missing")
        res["partial"] = True
        return
    shapes = {have[b].shape for b in (r_b, g_b, b_b)}
    ny, nx = min(s[0] for s in shapes), min(s[1] for s in shapes)
    rgb = _rgb.lupton_rgb(have[r_b][:ny, :nx], have[g_b][:ny, :nx], have[b_b][:ny, :nx],
                          opts.lupton)
    name = f"{u.stem}_{opts.rgb_bands}.png"
    _rgb.write_png(opts.out / name, rgb)
    res["png"] = name


def _summary(requests: list[_pos.Request], out: Path, opts: _Options) -> Table:
    t = Table()
    t["ROW"] = np.array([r.row for r in requests], dtype=np.int64)
    t["RA"] = np.array([np.nan if r.ra is None else r.ra for r in requests])
    t["DEC"] = np.array([np.nan if r.dec is None else r.dec for r in requests])
    t["COADD_OBJECT_ID"] = np.array([-1 if r.coadd_id is None else r.coadd_id
                                     for r in requests], dtype=np.int64)
    t["XSIZE"] = np.array([r.xsize for r in requests])
    t["YSIZE"] = np.array([r.ysize for r in requests])
    t["BANDS"] = np.array([r.bands for r in requests], dtype=str)
    status, files, pngs, messages = [], [], [], []
    for r in requests:
        if r.error is not None:
            status.append("error")
            files.append("")
            pngs.append("")
            messages.append(r.error)
            continue
        status.append(r.status if r.status in ("ok", "partial", "error") else "error")
        png = [f for f in r.files if f.endswith(".png")]
        files.append(" ".join(r.files))
        pngs.append(png[0] if png else "")
        messages.append(r.message)
        if r.partial and status[-1] == "ok":
            status[-1] = "partial"
    t["STATUS"] = np.array(status, dtype=str)
    t["TILENAME"] = np.array([r.tilename for r in requests], dtype=str)
    t["FILES"] = np.array(files, dtype=str)
    t["PNG"] = np.array(pngs, dtype=str)
    t["MESSAGE"] = np.array(messages, dtype=str)
    t["RA"].unit = t["DEC"].unit = "deg"
    t["XSIZE"].unit = t["YSIZE"].unit = "arcmin"
    t.meta.update(output_dir=str(out.resolve()), edge=opts.edge,
                  rgb_bands=opts.rgb_bands or "", rgb_minimum=opts.lupton.minimum,
                  rgb_stretch=opts.lupton.stretch, rgb_q=opts.lupton.Q)
    return t

"""Tile lookup: which tiles cover a position, by name, by object; where their files are.

>>> import deslab
>>> deslab.tiles_at(0.01, -0.02)          # doctest: +SKIP
<Table rows=1>  TILENAME  RA_CENT  DEC_CENT  CROSSRA0  EDGE_DISTANCE ...

Coverage is decided from each tile's four corners (see :mod:`deslab.cutouts.geometry`), so it
is right across RA = 0 (CROSSRA0 tiles) and near the poles. When two tiles cover a position,
the best one is where the position lies farthest from the edge.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.table import Table

from deslab.cutouts import catalog_access
from deslab.cutouts.geometry import edge_distance, gnomonic, unit_vectors
from deslab.demo import tilegen
from deslab.errors import CutoutError
from deslab.settings import settings

BANDS = ("g", "r", "i", "z", "Y")
POSITION_CHUNK = 64


@dataclass
class TileIndex:
    """Centres and corners of every tile, for vectorised lookup."""

    names: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    corner_ra: np.ndarray  # (n, 4)
    corner_dec: np.ndarray  # (n, 4)
    crossra0: np.ndarray  # bool

    def __post_init__(self) -> None:
        self._centres = unit_vectors(self.ra, self.dec)
        corners = unit_vectors(self.corner_ra, self.corner_dec)
        cos_r = np.min(np.einsum("nk,njk->nj", self._centres, corners), axis=1)
        self._cos_radius = np.clip(cos_r, -1, 1) - 1e-9
        # corners in each tile's tangent plane
        self._qx, self._qy, _ = gnomonic(
            self.corner_ra, self.corner_dec, self.ra[:, None], self.dec[:, None]
        )
        self._by_name = {str(n).strip().upper(): i for i, n in enumerate(self.names)}

    @classmethod
    def from_table(cls, t: Table) -> TileIndex:
        cols = {c.upper(): c for c in t.colnames}

        def col(name: str) -> np.ndarray:
            return np.asarray(t[cols[name]], dtype=float)

        return cls(
            names=np.asarray([str(n).strip() for n in t[cols["TILENAME"]]]),
            ra=col("RA_CENT"),
            dec=col("DEC_CENT"),
            corner_ra=np.stack([col(f"RAC{k}") for k in range(1, 5)], axis=1),
            corner_dec=np.stack([col(f"DECC{k}") for k in range(1, 5)], axis=1),
            crossra0=np.asarray([str(v).strip().upper() == "Y"
                                 for v in t[cols["CROSSRA0"]]]) if "CROSSRA0" in cols
            else np.zeros(len(t), bool),
        )

    def __len__(self) -> int:
        return self.names.size

    def index_of(self, name: str) -> int | None:
        return self._by_name.get(str(name).strip().upper())

    def locate(self, ra, dec) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each position, the covering tiles and the distance (deg) to their nearest edge,
        sorted farthest from the edge first."""
        ra = np.atleast_1d(np.asarray(ra, dtype=float))
        dec = np.atleast_1d(np.asarray(dec, dtype=float))
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for start in range(0, ra.size, POSITION_CHUNK):
            r, d = ra[start:start + POSITION_CHUNK], dec[start:start + POSITION_CHUNK]
            near = unit_vectors(r, d) @ self._centres.T >= self._cos_radius[None, :]
            for k in range(r.size):
                cand = np.flatnonzero(near[k])
                if cand.size == 0:
                    out.append((cand, np.zeros(0)))
                    continue
                px, py, ok = gnomonic(r[k], d[k], self.ra[cand], self.dec[cand])
                dist = edge_distance(px, py, self._qx[cand], self._qy[cand])
                inside = ok & (dist >= 0)
                cand, dist = cand[inside], np.degrees(dist[inside])
                order = np.argsort(-dist, kind="stable")
                out.append((cand[order], dist[order]))
        return out


_cache: dict[str, TileIndex] = {}
_lock = threading.Lock()


def tile_index(refresh: bool = False) -> TileIndex:
    """The tile index of the configured catalog (loaded once per catalog)."""
    key = settings().require_catalog()
    with _lock:
        if refresh or key not in _cache:
            _cache[key] = TileIndex.from_table(catalog_access.tile_rows())
        return _cache[key]


def _check_position(ra, dec) -> tuple[float, float]:
    try:
        r, d = float(ra), float(dec)
    except (TypeError, ValueError):
        raise CutoutError(f"RA and Dec must be numbers in degrees, got {ra!r}, {dec!r}") from None
    if not np.isfinite(r) or not 0.0 <= r < 360.0:
        raise CutoutError(f"RA must be in [0, 360) degrees, got {ra!r}")
    if not np.isfinite(d) or not -90.0 <= d <= 90.0:
        raise CutoutError(f"Dec must be in [-90, 90] degrees, got {dec!r}")
    return r, d


def tiles_at(ra: float, dec: float) -> Table:
    """The tiles covering a sky position, best first.

    Parameters
    ----------
    ra, dec : float
        Position in degrees (RA in [0, 360), Dec in [-90, 90]).

    Returns
    -------
    astropy.table.Table
        TILENAME, RA_CENT, DEC_CENT, CROSSRA0 and EDGE_DISTANCE (arcmin from the nearest
        edge), farthest from the edge first; empty when the position is off the footprint.
    """
    r, d = _check_position(ra, dec)
    index = tile_index()
    idx, dist = index.locate(r, d)[0]
    return _tile_table(index, idx, dist * 60.0)


def tile_by_name(name: str) -> Table:
    """The DR2_TILE_INFO centre and corners of one tile (case-insensitive name)."""
    index = tile_index()
    i = index.index_of(name)
    if i is None:
        close = [n for n in index.names if n[:7].upper() == str(name).strip().upper()[:7]][:5]
        hint = f"; similar names: {', '.join(close)}" if close else ""
        raise CutoutError(f"no tile is named {name!r}{hint}")
    t = _tile_table(index, np.array([i]), None)
    for k in range(4):
        t[f"RAC{k + 1}"] = index.corner_ra[i:i + 1, k]
        t[f"DECC{k + 1}"] = index.corner_dec[i:i + 1, k]
    t["FILES"] = [" ".join(str(p) for p in tile_files(index.names[i]).values())]
    return t


def tiles_for_objects(ids) -> Table:
    """Position and TILENAME of catalog objects by COADD_OBJECT_ID (unknown ids left out)."""
    try:
        clean = [int(v) for v in np.atleast_1d(ids)]
    except (TypeError, ValueError):
        raise CutoutError("COADD_OBJECT_ID values must be integers") from None
    return catalog_access.object_positions(clean)


def _tile_table(index: TileIndex, idx: np.ndarray, dist_arcmin) -> Table:
    t = Table()
    t["TILENAME"] = index.names[idx].astype(str)
    t["RA_CENT"] = index.ra[idx]
    t["DEC_CENT"] = index.dec[idx]
    t["CROSSRA0"] = np.where(index.crossra0[idx], "Y", "N")
    if dist_arcmin is not None:
        t["EDGE_DISTANCE"] = dist_arcmin
        t["EDGE_DISTANCE"].unit = "arcmin"
    t["RA_CENT"].unit = t["DEC_CENT"].unit = "deg"
    return t


def tile_files(tilename: str, tiles_dir: Path | None = None) -> dict[str, Path]:
    """The image file of each band of a tile that has pixel data (band -> path).

    Looks in ``DESLAB_TILES/<TILENAME>/`` for ``<TILENAME>*_<band>.fits.fz`` or ``.fits``.
    On the demo survey every tile has images: a band not written yet maps to the file it
    will be drawn into on first use (:func:`ensure_images` draws it).
    """
    root = tiles_dir or settings().require_tiles()
    folder = root / tilename
    found: dict[str, Path] = {}
    if folder.is_dir():
        for band in BANDS:
            for pattern in (f"{tilename}_{band}.fits.fz", f"{tilename}_{band}.fits",
                            f"{tilename}*_{band}.fits.fz", f"{tilename}*_{band}.fits"):
                hits = sorted(folder.glob(pattern))
                if hits:
                    found[band] = hits[0]
                    break
    if len(found) < len(BANDS):
        planned = tilegen.planned_files(settings().require_catalog(), root, tilename)
        found = {b: found.get(b) or planned[b] for b in BANDS if b in found or b in planned}
    return found


def ensure_images(wanted: dict[tuple[str, str], Path], workers: int | None = None) -> None:
    """Draw the images ``(tilename, band) -> path`` a demo-survey tile does not have on disk
    yet (see :mod:`deslab.demo.tilegen`); nothing to do for files that exist."""
    todo = [(t, b, p) for (t, b), p in wanted.items() if not p.exists()]
    if todo:
        tilegen.ensure_many(settings().require_catalog(), todo, workers)


def reset() -> None:
    """Forget loaded tile indexes (after the catalog changed)."""
    with _lock:
        _cache.clear()
    tilegen.reset()

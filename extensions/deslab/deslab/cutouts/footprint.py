"""The survey footprint: HEALPix coverage map and a matplotlib sky map of the tiles.

>>> from deslab.cutouts import coverage_map, footprint_map
>>> cov = coverage_map()             # fraction of each nside-32 NESTED pixel under tiles
>>> fig = footprint_map([(0.01, -0.02)])                                  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import astropy.units as u
import numpy as np
from astropy_healpix import HEALPix

from deslab.cutouts.tiles import TileIndex, tile_index
from deslab.demo import tilegen
from deslab.errors import CutoutError
from deslab.settings import settings

SAMPLES = 16  # per tile side, for the coverage estimate
PROJECTIONS = ("auto", "local", "mollweide")


def _tile_samples(index: TileIndex, which: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Sample points (ra, dec) inside each tile and the sky area (sr) each stands for."""
    qx, qy = index._qx[which], index._qy[which]  # corners in each tangent plane (n, 4)
    s = (np.arange(SAMPLES) + 0.5) / SAMPLES
    u_, v_ = np.meshgrid(s, s)
    u_, v_ = u_.ravel()[None, :], v_.ravel()[None, :]

    def bilinear(q: np.ndarray) -> np.ndarray:
        return ((1 - u_) * (1 - v_) * q[:, :1] + u_ * (1 - v_) * q[:, 1:2]
                + u_ * v_ * q[:, 2:3] + (1 - u_) * v_ * q[:, 3:4])

    xi, eta = bilinear(qx), bilinear(qy)
    area = 0.5 * np.abs(np.sum(qx * np.roll(qy, -1, 1) - np.roll(qx, -1, 1) * qy, axis=1))
    # inverse gnomonic about each tile centre
    a0, d0 = np.radians(index.ra[which])[:, None], np.radians(index.dec[which])[:, None]
    rho = np.hypot(xi, eta)
    c = np.arctan(rho)
    sinc, cosc = np.sin(c), np.cos(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        dec = np.arcsin(cosc * np.sin(d0) + np.where(rho > 0, eta * sinc * np.cos(d0) / rho, 0))
    ra = a0 + np.arctan2(xi * sinc, rho * np.cos(d0) * cosc - eta * np.sin(d0) * sinc)
    weight = np.repeat(area / SAMPLES**2, SAMPLES**2)
    return np.degrees(ra).ravel() % 360.0, np.degrees(dec).ravel(), weight


def _imaged_mask(index: TileIndex) -> np.ndarray:
    """Tiles with images: all of a demo survey's (drawn on first use), else those with a
    directory under DESLAB_TILES."""
    if tilegen.demo_survey(settings().require_catalog()) is not None:
        return np.ones(len(index), bool)
    root = settings().tiles
    present = set()
    if root is not None and root.is_dir():
        present = {p.name.upper() for p in root.iterdir() if p.is_dir()}
    return np.array([str(n).upper() in present for n in index.names])


def coverage_map(nside: int = 32, *, imaged_only: bool = False) -> np.ndarray:
    """Fraction of each HEALPix pixel (NESTED ordering, as the catalog's HPIX_32) covered by
    the survey's tiles.

    Parameters
    ----------
    nside : int
        HEALPix resolution (default 32, as ``HPIX_32``).
    imaged_only : bool
        Count only tiles that have image files under ``DESLAB_TILES``.

    Returns
    -------
    numpy.ndarray
        ``12 * nside**2`` values between 0 and 1.
    """
    if not isinstance(nside, int) or nside < 1 or nside & (nside - 1):
        raise CutoutError(f"nside must be a power of 2, got {nside!r}")
    index = tile_index()
    which = _imaged_mask(index) if imaged_only else np.ones(len(index), bool)
    hp = HEALPix(nside, order="nested")
    cov = np.zeros(hp.npix)
    idx = np.flatnonzero(which)
    for start in range(0, idx.size, 2000):
        ra, dec, w = _tile_samples(index, idx[start:start + 2000])
        pix = hp.lonlat_to_healpix(ra * u.deg, dec * u.deg)
        cov += np.bincount(pix, weights=w, minlength=hp.npix)
    return np.clip(cov / hp.pixel_area.to_value(u.sr), 0.0, 1.0)


def _wrap(ra: np.ndarray, centre: float) -> np.ndarray:
    return (np.asarray(ra) - centre + 180.0) % 360.0 - 180.0 + centre


def footprint_map(positions: Any = None, *, projection: str = "auto", nside: int = 32,
                  show_healpix: bool = True, ax: Any = None, title: str | None = None) -> Any:
    """A sky map of the survey: tiles (filled when they have images), HEALPix coverage and,
    optionally, positions.

    Parameters
    ----------
    positions
        Positions to mark: (ra, dec) pairs, or a table with RA/DEC columns (a cutout
        summary works).
    projection : {"auto", "local", "mollweide"}
        ``"local"``: RA/Dec axes around the footprint (RA increasing to the left, zoomable
        with the matplotlib toolbar); ``"mollweide"``: the whole sky. ``"auto"`` picks local
        when the footprint spans less than 60 degrees.
    nside : int
        HEALPix resolution of the coverage layer.
    show_healpix : bool
        Draw the HEALPix coverage.
    ax : matplotlib Axes, optional
        Draw into these axes (their projection must match).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if projection not in PROJECTIONS:
        raise CutoutError(f"projection must be one of {', '.join(PROJECTIONS)}, "
                          f"got {projection!r}")
    index = tile_index()
    imaged = _imaged_mask(index)
    centre = float(np.degrees(np.arctan2(np.mean(np.sin(np.radians(index.ra))),
                                         np.mean(np.cos(np.radians(index.ra)))))) % 360.0
    span = max(np.ptp(_wrap(index.corner_ra, centre)), np.ptp(index.corner_dec))
    if projection == "auto":
        projection = "local" if span < 60 else "mollweide"
    if ax is None:
        fig = plt.figure(figsize=(8, 5) if projection == "mollweide" else (7, 6))
        ax = fig.add_subplot(111, projection="mollweide" if projection == "mollweide" else None)
    fig = ax.figure

    def xy(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if projection == "mollweide":
            return -np.radians(_wrap(ra, 0.0)), np.radians(dec)
        return _wrap(ra, centre), np.asarray(dec)

    if show_healpix:
        cov = coverage_map(nside)
        hp = HEALPix(nside, order="nested")
        pix = np.flatnonzero(cov > 0)
        if pix.size:
            lon, lat = hp.boundaries_lonlat(pix, step=4)
            polys = []
            for lo, la in zip(lon.to_value(u.deg), lat.to_value(u.deg), strict=True):
                x, y = xy(_wrap(lo, lo[0]), la)
                polys.append(np.column_stack([x, y]))
            hcol = PolyCollection(polys, array=cov[pix], cmap="Blues", alpha=0.35,
                                  edgecolors="steelblue", linewidths=0.5, clim=(0, 1))
            ax.add_collection(hcol)
            fig.colorbar(hcol, ax=ax, shrink=0.7, label=f"HEALPix nside {nside} coverage")
    polys = []
    for k in range(len(index)):
        x, y = xy(_wrap(index.corner_ra[k], index.corner_ra[k, 0]), index.corner_dec[k])
        polys.append(np.column_stack([x, y]))
    colors = np.where(imaged, "darkorange", "none")
    ax.add_collection(PolyCollection(polys, facecolors=list(colors), edgecolors="dimgray",
                                     linewidths=0.4, alpha=0.8))
    if positions is not None:
        ra, dec = _positions(positions)
        x, y = xy(ra, dec)
        ax.plot(x, y, "r+", ms=9, mew=1.5, label="positions")
        ax.legend(loc="upper right")
    if projection == "local":
        allx = np.concatenate([p[:, 0] for p in polys])
        ally = np.concatenate([p[:, 1] for p in polys])
        pad = 0.05 * max(np.ptp(allx), np.ptp(ally), 0.1)
        ax.set_xlim(allx.max() + pad, allx.min() - pad)  # RA grows to the left
        ax.set_ylim(ally.min() - pad, ally.max() + pad)
        ax.set_xlabel("RA (deg)")
        ax.set_ylabel("Dec (deg)")
        ax.set_aspect(1.0 / max(np.cos(np.radians(np.mean(ally))), 0.05))
        ticks = ax.get_xticks()
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t % 360:g}" for t in ticks])
        ax.set_xlim(allx.max() + pad, allx.min() - pad)
    else:
        ax.grid(True, alpha=0.3)
        ax.set_xticklabels([f"{(-t) % 360:g}°" for t in range(-150, 180, 30)], fontsize=7)
    ax.set_title(title or f"Survey footprint: {len(index)} tiles, {int(imaged.sum())} with "
                 "images (orange)")
    return fig


def _positions(positions: Any) -> tuple[np.ndarray, np.ndarray]:
    cols = getattr(positions, "colnames", None) or (
        [str(c) for c in positions.columns] if hasattr(positions, "columns") else None)
    if cols is not None:
        upper = {c.upper(): c for c in cols}
        if "RA" not in upper or "DEC" not in upper:
            raise CutoutError("positions need RA and DEC columns to be drawn")
        ra = np.asarray(positions[upper["RA"]], dtype=float)
        dec = np.asarray(positions[upper["DEC"]], dtype=float)
    else:
        arr = np.asarray(positions, dtype=float).reshape(-1, 2)
        ra, dec = arr[:, 0], arr[:, 1]
    ok = np.isfinite(ra) & np.isfinite(dec)
    return ra[ok], dec[ok]

"""Tile images: the catalog's objects drawn as PSF-convolved profiles plus sky noise.

Stars are Gaussian PSFs; galaxies are elliptical two-Gaussian profiles (an exponential-like
core and wing) convolved with the PSF. Each object's total flux is its catalog FLUX_AUTO in
that band (zero point 30), so a cutout around a catalog position shows that object at its
centre. Compressed tiles are written like DES's: RICE, one image row per compression tile,
floats quantised with a fixed dither seed (so output is deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from deslab.demo.layout import PIXEL_SCALE, Tile
from deslab.demo.objects import DEPTH_10SIGMA, PSF_FWHM, ZERO_POINT, psf_sigma_pix

# (weight, sigma multiplier) of the two Gaussians that make a galaxy profile
GALAXY_COMPONENTS = ((0.6, 0.7), (0.4, 1.6))
HALF_SIZES = (8, 16, 32, 64)  # stamp half-sizes (pixels) objects are drawn in


@dataclass
class Sources:
    """Objects to draw in one tile: pixel positions (0-based) and shapes."""

    x: np.ndarray
    y: np.ndarray
    flux: dict[str, np.ndarray]  # band -> total flux (counts)
    star: np.ndarray
    size: np.ndarray  # galaxy sigma along the major axis (arcsec)
    q: np.ndarray
    theta: np.ndarray  # THETA_J2000 (deg, east of north)

    @classmethod
    def concat(cls, parts: list[Sources]) -> Sources:
        if not parts:
            z = np.zeros(0)
            return cls(z, z, {b: z for b in PSF_FWHM}, z.astype(bool), z, z, z)
        return cls(
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            {b: np.concatenate([p.flux[b] for p in parts]) for b in PSF_FWHM},
            np.concatenate([p.star for p in parts]),
            np.concatenate([p.size for p in parts]),
            np.concatenate([p.q for p in parts]),
            np.concatenate([p.theta for p in parts]),
        )


def sky_sigma(band: str) -> float:
    """Per-pixel noise that makes a point source at the 10-sigma depth a 10-sigma detection."""
    f10 = 10.0 ** (-0.4 * (DEPTH_10SIGMA[band] - ZERO_POINT))
    return f10 / 10.0 / (np.sqrt(4 * np.pi) * psf_sigma_pix(band))


def _covariances(src: Sources, band: str) -> list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """(weight, cxx, cxy, cyy) of each profile component, per object."""
    psf2 = psf_sigma_pix(band) ** 2
    phi = np.radians(src.theta + 90.0)  # major-axis angle from +x (x grows to the west)
    c, s = np.cos(phi), np.sin(phi)
    out = []
    for weight, mult in GALAXY_COMPONENTS:  # stars have size 0: both components are the PSF
        sa = (src.size * mult / PIXEL_SCALE) ** 2
        sb = (src.size * src.q * mult / PIXEL_SCALE) ** 2
        cxx = sa * c * c + sb * s * s + psf2
        cyy = sa * s * s + sb * c * c + psf2
        cxy = (sa - sb) * c * s
        out.append((weight, cxx, cxy, cyy))
    return out


def draw(image: np.ndarray, src: Sources, band: str) -> None:
    """Add every source's profile to ``image`` (in place)."""
    if src.x.size == 0:
        return
    ny, nx = image.shape
    comps = _covariances(src, band)
    sig_max = np.sqrt(np.max([np.maximum(cxx, cyy) for _, cxx, _, cyy in comps], axis=0))
    flux = np.clip(src.flux[band], 0.0, None)
    flat = image.reshape(-1)
    lower = 0
    for h in HALF_SIZES:
        sel = (sig_max * 4.5 <= h) | (h == HALF_SIZES[-1])
        sel &= sig_max * 4.5 > lower
        lower = h
        idx = np.flatnonzero(sel & (flux > 0))
        if idx.size == 0:
            continue
        for start in range(0, idx.size, 4096):
            part = idx[start:start + 4096]
            _draw_group(flat, nx, ny, src, part, comps, flux, h)


def _draw_group(flat, nx, ny, src, part, comps, flux, h) -> None:
    g = np.arange(-h, h + 1)
    xi = np.rint(src.x[part]).astype(np.int64)
    yi = np.rint(src.y[part]).astype(np.int64)
    px = xi[:, None, None] + g[None, None, :]
    py = yi[:, None, None] + g[None, :, None]
    dx = px - src.x[part][:, None, None]
    dy = py - src.y[part][:, None, None]
    px, py = np.broadcast_arrays(px, py)
    dx, dy = np.broadcast_arrays(dx, dy)
    prof = np.zeros(dx.shape)
    for weight, cxx, cxy, cyy in comps:
        a, b, c = cxx[part], cxy[part], cyy[part]
        det = a * c - b * b
        ia, ib, ic = (c / det)[:, None, None], (-b / det)[:, None, None], (a / det)[:, None, None]
        norm = (weight / (2 * np.pi * np.sqrt(det)))[:, None, None]
        prof += norm * np.exp(-0.5 * (ia * dx * dx + 2 * ib * dx * dy + ic * dy * dy))
    prof *= flux[part][:, None, None]
    inside = (px >= 0) & (px < nx) & (py >= 0) & (py < ny)
    np.add.at(flat, (py * nx + px)[inside], prof[inside].astype(flat.dtype))


def render(tile: Tile, band: str, src: Sources, rng: np.random.Generator) -> np.ndarray:
    """The tile's image in one band: noise plus sources (float32)."""
    image = rng.standard_normal((tile.npix, tile.npix), dtype=np.float32)
    image *= np.float32(sky_sigma(band))
    draw(image, src, band)
    return image


DET_BANDS = ("r", "i", "z")  # the detection image is the mean of these


def header(tile: Tile, band: str) -> fits.Header:
    """FITS header of a tile image (``band`` in grizY, or ``det`` for the detection image)."""
    if band == "det":
        fwhm = max(PSF_FWHM[b] for b in DET_BANDS)
        sky = float(np.sqrt(sum(sky_sigma(b) ** 2 for b in DET_BANDS)) / len(DET_BANDS))
    else:
        fwhm, sky = PSF_FWHM[band], float(sky_sigma(band))
    h = tile.header()
    h["EXTNAME"] = "SCI"
    h["TILENAME"] = (tile.name, "coadd tile")
    h["BAND"] = (band, "filter band")
    h["MAGZERO"] = (ZERO_POINT, "magnitude zero point")
    h["PSF_FWHM"] = (fwhm, "[arcsec] PSF full width at half maximum")
    h["SKYSIGMA"] = (sky, "[count] per-pixel noise")
    h["BUNIT"] = "count"
    h["ORIGIN"] = "deslab demo survey"
    return h


def write(path: Path, image: np.ndarray, hdr: fits.Header, compress: bool, dither: int) -> None:
    """Write one tile image: RICE row-tiled ``.fits.fz`` or plain FITS (data in HDU 1)."""
    tmp = path.with_name(path.name + ".tmp")
    if compress:
        import fitsio

        records = [
            {"name": card.keyword, "value": card.value, "comment": card.comment}
            for card in hdr.cards
        ]
        with fitsio.FITS(str(tmp), "rw", clobber=True) as f:
            f.write_image(
                image, compress="RICE", tile_dims=(1, image.shape[1]), qlevel=4.0,
                dither_seed=dither, header=records, extname="SCI",
            )
    else:
        fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(image, hdr, name="SCI")]).writeto(
            tmp, overwrite=True
        )
    tmp.replace(path)

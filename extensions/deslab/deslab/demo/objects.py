"""Vectorised generation of catalog objects: positions, magnitudes, errors, shapes.

A realistic mix: about 30 % stars along a stellar locus (bright end flatter number counts)
and galaxies split into a red sequence and a blue cloud, with sizes that shrink with
magnitude. Observed fluxes get noise from per-band 10-sigma depths like DES DR2, and the
catalog columns (MAG_AUTO, SPREAD_MODEL, EXTENDED_CLASS_COADD, ...) follow from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy_healpix import lonlat_to_healpix

from deslab.demo.layout import PIXEL_SCALE

BANDS = ("g", "r", "i", "z", "Y")
ZERO_POINT = 30.0
DEPTH_10SIGMA = {"g": 24.3, "r": 24.1, "i": 23.5, "z": 22.9, "Y": 21.7}
PSF_FWHM = {"g": 1.10, "r": 0.95, "i": 0.88, "z": 0.85, "Y": 0.90}  # arcsec
STAR_FRACTION = 0.3
ID_BASE = 1_000_000_000

# (kind, g-r, r-i, i-z, z-Y) of the planted anomalies
ANOMALY_COLOURS = [
    ("very_red", 2.8, 2.2, 1.0, 0.5),
    ("very_blue", -1.0, -0.8, -0.6, -0.5),
    ("ir_excess", 0.5, 0.3, 1.8, 1.5),
    ("emission_line", -1.5, 1.5, -0.8, 0.4),
]
ANOMALIES_PER_KIND = 6


@dataclass
class Chunk:
    """Generated rows: catalog columns plus the truth the images are drawn from."""

    columns: dict[str, np.ndarray]
    tile: np.ndarray  # index of the tile whose unique area holds the object
    star: np.ndarray  # bool
    size: np.ndarray  # intrinsic galaxy sigma along the major axis (arcsec), 0 for stars
    q: np.ndarray  # intrinsic axis ratio


def psf_sigma_pix(band: str) -> float:
    """Gaussian PSF sigma in pixels."""
    return PSF_FWHM[band] / PIXEL_SCALE / 2.3548


def _power_law_mags(rng: np.random.Generator, n: int, lo: float, hi: float, slope: float):
    """Magnitudes with dN/dm proportional to 10**(slope*m) between lo and hi."""
    a = slope * np.log(10.0)
    uu = rng.random(n)
    return lo + np.log1p(uu * np.expm1(a * (hi - lo))) / a


def _colours(rng: np.random.Generator, star: np.ndarray, mag_i: np.ndarray) -> np.ndarray:
    """Colours g-r, r-i, i-z, z-Y as an (n, 4) array."""
    n = star.size
    col = np.empty((n, 4))
    # stars: a stellar locus parametrised by g-r, steepening for M dwarfs
    gr = 0.25 + 1.3 * rng.beta(2.0, 3.0, n)
    ri = np.where(gr < 1.2, 0.38 * gr - 0.08, 0.376 + 1.5 * (gr - 1.2))
    iz = 0.5 * ri - 0.02
    zy = 0.3 * iz + 0.01
    stars = np.stack([gr, ri, iz, zy], axis=1) + rng.normal(0, 0.03, (n, 4))
    # galaxies: red sequence or blue cloud, bluer at the faint end
    red = rng.random(n) < np.clip(0.45 - 0.05 * (mag_i - 19.0), 0.15, 0.5)
    red_c = np.array([1.3, 0.5, 0.35, 0.1]) + rng.normal(0, 1, (n, 4)) * [0.15, 0.1, 0.08, 0.08]
    blue_c = np.array([0.5, 0.3, 0.15, 0.05]) + rng.normal(0, 1, (n, 4)) * [0.25, 0.12, 0.1, 0.1]
    gals = np.where(red[:, None], red_c, blue_c)
    col[:] = np.where(star[:, None], stars, gals)
    return col


def _ebv(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """A smooth demo reddening map (mag)."""
    ra_w = np.where(ra > 180, ra - 360, ra)
    return 0.03 + 0.015 * np.sin(np.radians(ra_w) * 40) * np.cos(np.radians(dec) * 60) + (
        0.002 * np.abs(dec)
    )


def generate_chunk(
    rng: np.random.Generator,
    n: int,
    first_id: int,
    tile_ra: np.ndarray,
    tile_dec: np.ndarray,
    tile_step_ra: np.ndarray,
    tile_step_dec: np.ndarray,
    tile_names: np.ndarray,
) -> Chunk:
    """``n`` objects spread uniformly over the unique areas of the tiles."""
    tile = rng.integers(0, tile_ra.size, n)
    ra = np.mod(tile_ra[tile] + (rng.random(n) - 0.5) * tile_step_ra[tile], 360.0)
    dec = tile_dec[tile] + (rng.random(n) - 0.5) * tile_step_dec[tile]

    star = rng.random(n) < STAR_FRACTION
    mag_i = np.where(
        star,
        _power_law_mags(rng, n, 15.0, 24.5, 0.12),
        _power_law_mags(rng, n, 16.5, 24.5, 0.33),
    )
    col = _colours(rng, star, mag_i)
    true = {
        "i": mag_i,
        "r": mag_i + col[:, 1],
        "z": mag_i - col[:, 2],
    }
    true["g"] = true["r"] + col[:, 0]
    true["Y"] = true["z"] - col[:, 3]

    # intrinsic galaxy size: median half-light radius ~0.9" at i=20, smaller when fainter
    r_half = np.exp(rng.normal(np.log(0.9) - 0.35 * (mag_i - 20.0), 0.35))
    size = np.where(star, 0.0, r_half / 1.1774)  # Gaussian sigma of the major axis
    q = np.where(star, 1.0, rng.uniform(0.3, 1.0, n))
    theta = rng.uniform(-90.0, 90.0, n)

    cols: dict[str, np.ndarray] = {
        "COADD_OBJECT_ID": np.arange(first_id, first_id + n, dtype=np.int64) + ID_BASE,
        "RA": ra,
        "DEC": dec,
        "HPIX_32": _hpix(ra, dec, 32),
        "HPIX_4096": _hpix(ra, dec, 4096),
        "TILENAME": tile_names[tile],
    }
    mags, errs, fluxes, radii, spreads, spreaderrs, flags = {}, {}, {}, {}, {}, {}, {}
    for b in BANDS:
        f_true = 10.0 ** (-0.4 * (true[b] - ZERO_POINT))
        f10 = 10.0 ** (-0.4 * (DEPTH_10SIGMA[b] - ZERO_POINT))
        sigma = np.sqrt((f10 / 10.0) ** 2 + (0.003 * f_true) ** 2)
        f_obs = f_true + sigma * rng.standard_normal(n)
        good = f_obs > 0
        safe = np.where(good, f_obs, 1.0)
        mags[b] = np.where(good, ZERO_POINT - 2.5 * np.log10(safe), 99.0)
        errs[b] = np.where(good, 1.0857 * sigma / safe, 99.0)
        fluxes[b] = f_obs
        psf_r = PSF_FWHM[b] / 2.0  # half-light radius of the PSF, arcsec
        gal_r = size * 1.1774 * np.sqrt(q) * (1.0 + 0.05 * (2 - BANDS.index(b)) / 2)
        radii[b] = np.sqrt(psf_r**2 + gal_r**2) / PIXEL_SCALE * (1 + rng.normal(0, 0.03, n))
        snr = f_obs / sigma
        spreaderrs[b] = 0.0003 + 0.03 / np.clip(np.abs(snr), 1.0, None)
        spread_true = np.where(star, 0.0, 0.03 * (1.0 - np.exp(-gal_r / 0.6)))
        spreads[b] = spread_true + spreaderrs[b] * rng.standard_normal(n)
        fl = rng.choice(np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], dtype=np.int16), n)
        flags[b] = np.where(true[b] < 16.0, fl | 4, fl).astype(np.int16)
    for name, d in (("MAG_AUTO", mags), ("MAGERR_AUTO", errs), ("FLUX_AUTO", fluxes),
                    ("FLUX_RADIUS", radii), ("SPREAD_MODEL", spreads),
                    ("SPREADERR_MODEL", spreaderrs)):
        for b in BANDS:
            cols[f"{name}_{b.upper()}"] = d[b].astype(np.float32)
    for b in BANDS:
        cols[f"FLAGS_{b.upper()}"] = flags[b]

    sm, se = spreads["i"], spreaderrs["i"]
    ext = ((sm + 3 * se) > 0.005).astype(np.int16) + ((sm + se) > 0.003) + ((sm - se) > 0.003)
    cols["EXTENDED_CLASS_COADD"] = np.where(mags["i"] < 99, ext, -9).astype(np.int16)
    psf_pix = psf_sigma_pix("i")
    a_img = np.sqrt((size / PIXEL_SCALE) ** 2 + psf_pix**2)
    b_img = np.sqrt((size * q / PIXEL_SCALE) ** 2 + psf_pix**2)
    cols["A_IMAGE"] = a_img.astype(np.float32)
    cols["B_IMAGE"] = b_img.astype(np.float32)
    cols["THETA_J2000"] = theta.astype(np.float32)
    cols["EBV_SFD98"] = _ebv(ra, dec).astype(np.float32)
    return Chunk(cols, tile, star, size, q)


def plant_anomalies(chunk: Chunk, rows: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Give the objects at ``rows`` anomalous colours; return the kind of each.

    The objects become bright (i between 19 and 20.5), compact and unflagged, so their
    colours are measured precisely and the images show them clearly.
    """
    kinds = []
    cols = chunk.columns
    for k, row in enumerate(rows):
        kind, gr, ri, iz, zy = ANOMALY_COLOURS[k % len(ANOMALY_COLOURS)]
        kinds.append(kind)
        mi = rng.uniform(19.0, 20.5)
        true = {"i": mi, "r": mi + ri, "z": mi - iz}
        true["g"] = true["r"] + gr
        true["Y"] = true["z"] - zy
        chunk.star[row] = True
        chunk.size[row] = 0.0
        chunk.q[row] = 1.0
        for b in BANDS:
            B = b.upper()
            f = 10.0 ** (-0.4 * (true[b] - ZERO_POINT))
            cols[f"MAG_AUTO_{B}"][row] = true[b]
            cols[f"FLUX_AUTO_{B}"][row] = f
            f10 = 10.0 ** (-0.4 * (DEPTH_10SIGMA[b] - ZERO_POINT))
            cols[f"MAGERR_AUTO_{B}"][row] = 1.0857 * np.hypot(f10 / 10, 0.003 * f) / f
            cols[f"FLAGS_{B}"][row] = 0
            cols[f"SPREAD_MODEL_{B}"][row] = 0.0
            cols[f"FLUX_RADIUS_{B}"][row] = PSF_FWHM[b] / 2.0 / PIXEL_SCALE
        cols["EXTENDED_CLASS_COADD"][row] = 0
        psf_pix = psf_sigma_pix("i")
        cols["A_IMAGE"][row] = psf_pix
        cols["B_IMAGE"][row] = psf_pix
    return kinds


def _hpix(ra: np.ndarray, dec: np.ndarray, nside: int) -> np.ndarray:
    return np.asarray(
        lonlat_to_healpix(ra * u.deg, dec * u.deg, nside, order="nested"), dtype=np.int64
    )

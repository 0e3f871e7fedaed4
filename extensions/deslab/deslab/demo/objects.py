"""Vectorised generation of catalog objects: the truth, then what DES would measure.

A realistic mix: about 30 % stars along a stellar locus (bright end flatter number counts)
and galaxies split into a red sequence and a blue cloud, with sizes that shrink with
magnitude, all seen through a smooth E(B-V) map. :func:`make_truth` draws what the objects
are; :func:`measure` derives every DR2_MAIN column from it (coadd photometry with per-band
10-sigma depths like DES DR2, weighted-average PSF photometry over the single epochs the
object is detected in, SPREAD_MODEL and its weighted average, shapes, windowed moments,
HEALPix indices, Galactic coordinates, de-reddened magnitudes with DES's coefficients).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import astropy.units as u
import numpy as np
from astropy_healpix import lonlat_to_healpix

from deslab.demo.dr2_columns import EXTINCTION_R, HPIX_NSIDES
from deslab.demo.layout import PIXEL_SCALE

BANDS = ("g", "r", "i", "z", "Y")
ZERO_POINT = 30.0
DEPTH_10SIGMA = {"g": 24.3, "r": 24.1, "i": 23.5, "z": 22.9, "Y": 21.7}
# single-epoch 5-sigma depths: DR2 single-epoch 10-sigma depths (Abbott et al. 2021) + 0.75
SINGLE_EPOCH_DEPTH_5SIGMA = {"g": 24.3, "r": 24.1, "i": 23.5, "z": 22.85, "Y": 21.45}
PSF_FWHM = {"g": 1.10, "r": 0.95, "i": 0.88, "z": 0.85, "Y": 0.90}  # arcsec
STAR_FRACTION = 0.3
ID_BASE = 1_000_000_000
MISSING_MAG = 99.0
MISSING_WAVG = -99.0

# (kind, g-r, r-i, i-z, z-Y) of the planted anomalies
ANOMALY_COLOURS = [
    ("very_red", 2.8, 2.2, 1.0, 0.5),
    ("very_blue", -1.0, -0.8, -0.6, -0.5),
    ("ir_excess", 0.5, 0.3, 1.8, 1.5),
    ("emission_line", -1.5, 1.5, -0.8, 0.4),
]
ANOMALIES_PER_KIND = 6


@dataclass
class Truth:
    """What the generated objects are (the catalog columns are measured from this)."""

    ra: np.ndarray  # deg, full precision
    dec: np.ndarray
    tile: np.ndarray  # index of the tile whose unique area holds the object
    star: np.ndarray  # bool
    mag: dict[str, np.ndarray]  # band -> true magnitude, extinction included
    size: np.ndarray  # intrinsic galaxy sigma along the major axis (arcsec), 0 for stars
    q: np.ndarray  # intrinsic axis ratio
    theta: np.ndarray  # position angle east of north (deg)
    ebv: np.ndarray
    clean: np.ndarray  # bool: unflagged (the planted anomalies)

    def __len__(self) -> int:
        return self.ra.size


@dataclass
class Chunk:
    """Generated rows: catalog columns plus the truth the images are drawn from."""

    columns: dict[str, np.ndarray]
    tile: np.ndarray
    star: np.ndarray
    size: np.ndarray
    q: np.ndarray


def psf_sigma_pix(band: str) -> float:
    """Gaussian PSF sigma in pixels."""
    return PSF_FWHM[band] / PIXEL_SCALE / 2.3548


def flux_10sigma(band: str) -> float:
    return 10.0 ** (-0.4 * (DEPTH_10SIGMA[band] - ZERO_POINT))


def _power_law_mags(rng: np.random.Generator, n: int, lo: float, hi: float, slope: float):
    """Magnitudes with dN/dm proportional to 10**(slope*m) between lo and hi."""
    a = slope * np.log(10.0)
    uu = rng.random(n)
    return lo + np.log1p(uu * np.expm1(a * (hi - lo))) / a


def _colours(rng: np.random.Generator, star: np.ndarray, mag_i: np.ndarray) -> np.ndarray:
    """Colours g-r, r-i, i-z, z-Y as an (n, 4) array."""
    n = star.size
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
    return np.where(star[:, None], stars, gals)


def ebv_map(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """A smooth demo reddening map (mag, about 0.015 to 0.1)."""
    ra_w = np.where(ra > 180, ra - 360, ra)
    return 0.03 + 0.015 * np.sin(np.radians(ra_w) * 40) * np.cos(np.radians(dec) * 60) + (
        0.002 * np.abs(dec)
    )


def _mags_from_colours(mag_i: np.ndarray, col: np.ndarray) -> dict[str, np.ndarray]:
    mag = {"i": mag_i, "r": mag_i + col[:, 1], "z": mag_i - col[:, 2]}
    mag["g"] = mag["r"] + col[:, 0]
    mag["Y"] = mag["z"] - col[:, 3]
    return mag


def make_truth(
    rng: np.random.Generator,
    n: int,
    tile_ra: np.ndarray,
    tile_dec: np.ndarray,
    tile_step_ra: np.ndarray,
    tile_step_dec: np.ndarray,
) -> Truth:
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
    mag = _mags_from_colours(mag_i, _colours(rng, star, mag_i))
    ebv = ebv_map(ra, dec)
    for b in BANDS:
        mag[b] = mag[b] + EXTINCTION_R[b] * ebv
    # intrinsic galaxy size: median half-light radius ~0.9" at i=20, smaller when fainter
    r_half = np.exp(rng.normal(np.log(0.9) - 0.35 * (mag_i - 20.0), 0.35))
    size = np.where(star, 0.0, r_half / 1.1774)  # Gaussian sigma of the major axis
    q = np.where(star, 1.0, rng.uniform(0.3, 1.0, n))
    theta = rng.uniform(-90.0, 90.0, n)
    return Truth(ra, dec, tile, star, mag, size, q, theta, ebv, np.zeros(n, bool))


# the globular cluster M2 (NGC 7089): centre, Plummer radius (deg), share of the objects of
# its field that are members, distance modulus
M2_CENTRE = (323.3626, -0.8233)
M2_PLUMMER = 0.02
M2_MEMBERS = 0.6
M2_DISTANCE_MODULUS = 15.5


def add_cluster(truth: Truth, rng: np.random.Generator, tiles: np.ndarray,
                tile_ra: np.ndarray, tile_dec: np.ndarray, step_ra: np.ndarray,
                step_dec: np.ndarray) -> None:
    """Make a share of the objects on ``tiles`` (the M2 field) stars of a globular cluster:
    Plummer-distributed around its centre, on a main sequence, turn-off and giant branch."""
    on = np.flatnonzero(np.isin(truth.tile, tiles) & (rng.random(len(truth)) < M2_MEMBERS))
    if on.size == 0:
        return
    n = on.size
    r = M2_PLUMMER / np.sqrt(np.clip(rng.random(n), 1e-6, 1.0) ** (-2.0 / 3.0) - 1.0)
    phi = rng.uniform(0, 2 * np.pi, n)
    dec = M2_CENTRE[1] + r * np.sin(phi)
    ra = (M2_CENTRE[0] + r * np.cos(phi) / np.cos(np.radians(dec))) % 360.0
    # keep members inside the field: the tile whose unique area holds them
    dra = (ra[:, None] - tile_ra[tiles][None, :] + 180.0) % 360.0 - 180.0
    inside = (np.abs(dra) <= step_ra[tiles] / 2) & (
        np.abs(dec[:, None] - tile_dec[tiles][None, :]) <= step_dec[tiles] / 2)
    ok = inside.any(axis=1)
    on, ra, dec = on[ok], ra[ok], dec[ok]
    n = on.size
    # absolute i magnitude from -3 (giants) to 8.5 (faint main sequence)
    abs_i = rng.uniform(-3.0, 8.5, n)
    i = abs_i + M2_DISTANCE_MODULUS
    giant = abs_i < 3.0
    gr = np.where(giant, 0.45 + 0.25 * (3.0 - abs_i) / 6.0, 0.3 + 0.09 * (abs_i - 3.0))
    gr = gr + rng.normal(0, 0.02, n)
    ri = np.where(gr < 1.2, 0.38 * gr - 0.08, 0.376 + 1.5 * (gr - 1.2))
    iz = 0.5 * ri - 0.02
    zy = 0.3 * iz + 0.01
    mags = _mags_from_colours(i, np.stack([gr, ri, iz, zy], axis=1))
    truth.ra[on], truth.dec[on] = ra, dec
    truth.tile[on] = tiles[np.argmax(inside[ok], axis=1)]
    truth.ebv[on] = ebv_map(ra, dec)
    for b in BANDS:
        truth.mag[b][on] = mags[b] + EXTINCTION_R[b] * truth.ebv[on]
    truth.star[on] = True
    truth.size[on] = 0.0
    truth.q[on] = 1.0


def plant_anomalies(truth: Truth, rows: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Give the objects at ``rows`` anomalous colours; return the kind of each.

    The objects become bright (i between 19 and 20.5), point-like and unflagged, so their
    colours are measured precisely and the images show them clearly.
    """
    kinds = []
    for k, row in enumerate(rows):
        kind, gr, ri, iz, zy = ANOMALY_COLOURS[k % len(ANOMALY_COLOURS)]
        kinds.append(kind)
        mi = rng.uniform(19.0, 20.5)
        mag = _mags_from_colours(np.array([mi]), np.array([[gr, ri, iz, zy]]))
        for b in BANDS:
            truth.mag[b][row] = mag[b][0] + EXTINCTION_R[b] * truth.ebv[row]
        truth.star[row] = True
        truth.size[row] = 0.0
        truth.q[row] = 1.0
        truth.clean[row] = True
    return kinds


@cache
def _icrs_to_galactic() -> np.ndarray:
    from astropy.coordinates import SkyCoord

    eye = np.eye(3)
    icrs = SkyCoord(eye[0], eye[1], eye[2], representation_type="cartesian", frame="icrs")
    return np.asarray(icrs.galactic.cartesian.xyz.value)


def galactic(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Galactic (l, b) in degrees, by astropy's ICRS -> Galactic rotation."""
    a, d = np.radians(ra), np.radians(dec)
    v = np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    x, y, z = _icrs_to_galactic() @ v
    return np.degrees(np.arctan2(y, x)) % 360.0, np.degrees(np.arcsin(np.clip(z, -1, 1)))


def hpix(ra: np.ndarray, dec: np.ndarray, nside: int) -> np.ndarray:
    """HEALPix NESTED index with DES's convention (theta = 90 - dec, phi = ra)."""
    return np.asarray(
        lonlat_to_healpix(ra * u.deg, dec * u.deg, nside, order="nested"), dtype=np.int64
    )


def tile_pixels(ra, dec, ra0, dec0, npix) -> tuple[np.ndarray, np.ndarray]:
    """1-based FITS pixel of (ra, dec) in the TAN image centred on (ra0, dec0) (north up,
    east left, 0.263"/pixel, reference pixel at the centre)."""
    a, d = np.radians(ra - ra0), np.radians(dec)
    d0 = np.radians(dec0)
    cosc = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a)
    xi = np.degrees(np.cos(d) * np.sin(a) / cosc)
    eta = np.degrees((np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a)) / cosc)
    scale = PIXEL_SCALE / 3600.0
    crpix = (npix + 1) / 2.0
    return crpix - xi / scale, crpix + eta / scale


def _moments(size_pix, q, theta, psf2):
    """Second moments (xx, yy, xy) in pixels of a Gaussian profile convolved with the PSF.

    The major axis is at ``theta + 90`` degrees from +x (x grows to the west)."""
    phi = np.radians(theta + 90.0)
    c, s = np.cos(phi), np.sin(phi)
    sa, sb = size_pix**2, (size_pix * q) ** 2
    return sa * c * c + sb * s * s + psf2, sa * s * s + sb * c * c + psf2, (sa - sb) * c * s


def _axes(xx, yy, xy):
    """Semi-axes and position angle (deg from +x, counter-clockwise) of moments."""
    mean, diff = (xx + yy) / 2.0, np.sqrt(((xx - yy) / 2.0) ** 2 + xy**2)
    theta = 0.5 * np.degrees(np.arctan2(2.0 * xy, xx - yy))
    return np.sqrt(mean + diff), np.sqrt(np.clip(mean - diff, 0, None)), theta


def _mag(flux, err):
    good = flux > 0
    safe = np.where(good, flux, 1.0)
    return (np.where(good, ZERO_POINT - 2.5 * np.log10(safe), MISSING_MAG),
            np.where(good, 1.0857 * err / safe, MISSING_MAG))


def measure(
    truth: Truth,
    rng: np.random.Generator,
    first_id: int,
    tile_names: np.ndarray,
    tile_ra: np.ndarray,
    tile_dec: np.ndarray,
    tile_npix: int,
) -> dict[str, np.ndarray]:
    """Every DR2_MAIN column (name -> array) of the objects, as DES would measure them."""
    n = len(truth)
    f32 = np.float32
    cols: dict[str, np.ndarray] = {
        "COADD_OBJECT_ID": np.arange(first_id, first_id + n, dtype=np.int64) + ID_BASE,
        "TILENAME": tile_names[truth.tile],
    }
    ra, dec = np.round(truth.ra, 7) % 360.0, np.round(truth.dec, 7)
    for nside in HPIX_NSIDES:
        cols[f"HPIX_{nside}"] = hpix(ra, dec, nside)
    cols["RA"], cols["DEC"] = ra, dec
    cols["ALPHAWIN_J2000"], cols["DELTAWIN_J2000"] = truth.ra, truth.dec
    gl, gb = galactic(truth.ra, truth.dec)
    cols["GALACTIC_L"], cols["GALACTIC_B"] = gl.astype(f32), gb.astype(f32)
    x, y = tile_pixels(truth.ra, truth.dec, tile_ra[truth.tile], tile_dec[truth.tile],
                       tile_npix)
    size_pix = truth.size / PIXEL_SCALE
    psf_i2 = psf_sigma_pix("i") ** 2
    a_img = np.sqrt(size_pix**2 + psf_i2)
    b_img = np.sqrt((size_pix * truth.q) ** 2 + psf_i2)

    per: dict[str, dict[str, np.ndarray]] = {}
    def put(name: str, b: str, values: np.ndarray, dtype=f32) -> None:
        per.setdefault(name, {})[b] = values.astype(dtype, copy=False)

    snr_det = None
    n_exposures = rng.integers(6, 11, n)
    for b in BANDS:
        f_true = 10.0 ** (-0.4 * (truth.mag[b] - ZERO_POINT))
        f10 = flux_10sigma(b)
        sigma = np.sqrt((f10 / 10.0) ** 2 + (0.003 * f_true) ** 2)
        f_obs = f_true + sigma * rng.standard_normal(n)
        mag, err = _mag(f_obs, sigma)
        a_ext = EXTINCTION_R[b] * truth.ebv
        put("MAG_AUTO", b, mag)
        put("MAGERR_AUTO", b, err)
        put("MAG_AUTO_DERED", b, np.where(mag < MISSING_MAG, mag - a_ext, MISSING_MAG))
        put("FLUX_AUTO", b, f_obs)
        put("FLUXERR_AUTO", b, sigma)
        snr = f_obs / sigma
        if b == "i":
            snr_det = snr
        # single epochs: detected where the single-epoch S/N is high enough
        psf2 = psf_sigma_pix(b) ** 2
        psf_r = PSF_FWHM[b] / 2.0
        gal_r = truth.size * 1.1774 * np.sqrt(truth.q) * (1.0 + 0.05 * (2 - BANDS.index(b)) / 2)
        m_single = SINGLE_EPOCH_DEPTH_5SIGMA[b] - 2.5 * np.log10(1.0 + (gal_r / psf_r) ** 2)
        p_det = 1.0 / (1.0 + np.exp((truth.mag[b] - m_single) / 0.15))
        nep = rng.binomial(n_exposures, p_det)
        put("NEPOCHS", b, nep, np.int32)
        psf_frac = 1.0 / (1.0 + 0.5 * (gal_r / psf_r) ** 2)
        has = nep > 0
        w_err = np.sqrt((f10 / 10.0 * 1.15) ** 2 * n_exposures / np.maximum(nep, 1)
                        + (0.002 * f_true) ** 2)
        w_flux = f_true * psf_frac + w_err * rng.standard_normal(n)
        w_mag, w_magerr = _mag(w_flux, w_err)
        w_ok = has & (w_mag < MISSING_MAG)
        put("WAVG_MAG_PSF", b, np.where(w_ok, w_mag, MISSING_MAG))
        put("WAVG_MAGERR_PSF", b, np.where(w_ok, w_magerr, MISSING_MAG))
        put("WAVG_MAG_PSF_DERED", b, np.where(w_ok, w_mag - a_ext, MISSING_MAG))
        put("WAVG_FLUX_PSF", b, np.where(has, w_flux, MISSING_WAVG))
        put("WAVG_FLUXERR_PSF", b, np.where(has, w_err, MISSING_WAVG))
        spread_true = np.where(truth.star, 0.0, 0.03 * (1.0 - np.exp(-gal_r / 0.6)))
        s_err = 0.0003 + 0.03 / np.clip(np.abs(snr), 1.0, None)
        put("SPREAD_MODEL", b, spread_true + s_err * rng.standard_normal(n))
        put("SPREADERR_MODEL", b, s_err)
        w_serr = 0.0002 + 0.02 / np.clip(np.abs(snr), 1.0, None) * np.sqrt(
            n_exposures / np.maximum(nep, 1)) / 2.0
        w_spread = spread_true + w_serr * rng.standard_normal(n)
        put("WAVG_SPREAD_MODEL", b, np.where(has, w_spread, MISSING_WAVG))
        put("WAVG_SPREADERR_MODEL", b, np.where(has, w_serr, MISSING_WAVG))
        certainty = np.clip(np.abs(snr) / 60.0, 0.0, 1.0)
        cls = 0.5 + np.where(truth.star, 0.48, -0.48) * certainty
        put("CLASS_STAR", b, np.clip(cls + rng.normal(0, 0.02, n), 0.0, 1.0))
        fl = rng.choice(np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], dtype=np.int16), n)
        fl = np.where(truth.mag[b] < 16.0, fl | 4, fl)
        put("FLAGS", b, np.where(truth.clean, 0, fl), np.int16)
        ima = np.where(rng.random(n) < 0.02, rng.integers(1, 4, n), 0)
        put("IMAFLAGS_ISO", b, np.where(truth.clean, 0, ima), np.int32)
        put("NITER_MODEL", b, np.where(f_obs > 0, rng.integers(8, 60, n), 0), np.int32)
        put("FLUX_RADIUS", b, np.sqrt(psf_r**2 + gal_r**2) / PIXEL_SCALE
            * (1 + rng.normal(0, 0.03, n)))
        xx, yy, xy = _moments(size_pix, truth.q, truth.theta, psf2)
        a_w, b_w, th_w = _axes(xx, yy, xy)
        put("KRON_RADIUS", b, 3.5 + np.abs(rng.normal(0, 0.3, n)) + 0.5 * gal_r / psf_r)
        put("FWHM_IMAGE", b, 2.3548 * np.sqrt(a_w * b_w) * (1 + rng.normal(0, 0.03, n)))
        put("ISOAREA_IMAGE", b, np.rint(np.pi * a_w * b_w * 2.0 * np.log(
            np.clip(np.abs(snr) / 3.0, 1.0, None))), np.int32)
        put("BACKGROUND", b, rng.normal(0.0, 0.02 * f10, n))
        pos_err = np.sqrt(psf2) / np.clip(np.abs(snr), 1.0, None)
        put("XWIN_IMAGE", b, x + pos_err * rng.standard_normal(n), np.float64)
        put("YWIN_IMAGE", b, y + pos_err * rng.standard_normal(n), np.float64)
        rel = 2.0 / np.clip(np.abs(snr), 1.0, None)
        for name, v in (("X2WIN_IMAGE", xx), ("Y2WIN_IMAGE", yy), ("XYWIN_IMAGE", xy)):
            noise = rel * np.sqrt(xx * yy)
            put(name, b, v + noise * rng.standard_normal(n) * 0.3, np.float64)
            put("ERR" + name, b, noise**2, np.float64)
        put("AWIN_IMAGE", b, a_w)
        put("ERRAWIN_IMAGE", b, a_w * rel / 2.0)
        put("BWIN_IMAGE", b, b_w)
        put("ERRBWIN_IMAGE", b, b_w * rel / 2.0)
        put("THETAWIN_IMAGE", b, th_w)
        put("ERRTHETAWIN_IMAGE", b, np.clip(np.degrees(rel), 0, 90))

    rel_i = 1.0 / np.clip(np.abs(snr_det), 1.0, None)
    cols["XWIN_IMAGE"], cols["YWIN_IMAGE"] = x, y
    cols["A_IMAGE"], cols["B_IMAGE"] = a_img.astype(f32), b_img.astype(f32)
    cols["ERRA_IMAGE"] = (a_img * rel_i).astype(f32)
    cols["ERRB_IMAGE"] = (b_img * rel_i).astype(f32)
    cols["THETA_J2000"] = truth.theta.astype(f32)
    cols["ERRTHETA_IMAGE"] = np.clip(np.degrees(rel_i) * 2.0, 0, 90).astype(f32)
    cols["KRON_RADIUS"] = (3.5 + 0.5 * truth.size * 1.1774 / (PSF_FWHM["i"] / 2.0)).astype(f32)
    cols["EBV_SFD98"] = truth.ebv
    for name, bands in per.items():
        for b in BANDS:
            key = f"{name[:-6]}_{b.upper()}_DERED" if name.endswith("_DERED") \
                else f"{name}_{b.upper()}"
            cols[key] = bands[b]
    cols["EXTENDED_CLASS_COADD"] = _extended_class(
        cols["SPREAD_MODEL_I"], cols["SPREADERR_MODEL_I"], cols["MAG_AUTO_I"] < MISSING_MAG)
    cols["EXTENDED_CLASS_WAVG"] = _extended_class(
        cols["WAVG_SPREAD_MODEL_I"], cols["WAVG_SPREADERR_MODEL_I"],
        cols["NEPOCHS_I"] > 0)
    return cols


def _extended_class(sm: np.ndarray, se: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """DES's EXTENDED_CLASS: ((sm + 3 se) > 0.005) + ((sm + se) > 0.003) + ((sm - se) >
    0.003), -9 without data."""
    ext = ((sm + 3 * se) > 0.005).astype(np.int16) + ((sm + se) > 0.003) + ((sm - se) > 0.003)
    return np.where(valid, ext, -9).astype(np.int16)

"""Spherical geometry for tile lookup: gnomonic projection and point-in-quadrilateral.

Each tile is a quadrilateral given by its four corners (RAC1..4, DECC1..4). A position is
projected, with the corners, onto the plane tangent at the tile centre; there the tile is a
convex polygon, so "inside" and "distance to the nearest edge" are plain 2-D geometry. This is
exact for TAN images, has no trouble at RA = 0 (only differences of RA enter, through sin and
cos) and works at the poles (no RA/Dec boxes).
"""

from __future__ import annotations

import numpy as np


def unit_vectors(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Cartesian unit vectors of positions in degrees, shape (..., 3)."""
    a, d = np.radians(ra), np.radians(dec)
    cd = np.cos(d)
    return np.stack([cd * np.cos(a), cd * np.sin(a), np.sin(d)], axis=-1)


def gnomonic(ra, dec, ra0, dec0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard coordinates (xi east, eta north, radians) about (ra0, dec0); ``ok`` is False
    for points 90 degrees or more from the centre (they have no projection)."""
    a = np.radians(np.asarray(ra) - np.asarray(ra0))
    d, d0 = np.radians(dec), np.radians(dec0)
    cosc = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a)
    ok = cosc > 1e-9
    safe = np.where(ok, cosc, 1.0)
    xi = np.cos(d) * np.sin(a) / safe
    eta = (np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a)) / safe
    return xi, eta, ok


def edge_distance(px, py, qx, qy) -> np.ndarray:
    """Signed distance from points (px, py) to the edges of polygons (qx, qy), last axis the
    corners in order (either orientation): positive inside, the minimum over the edges.

    ``px``/``py`` broadcast against ``qx[..., 0]``.
    """
    qx2, qy2 = np.roll(qx, -1, axis=-1), np.roll(qy, -1, axis=-1)
    ex, ey = qx2 - qx, qy2 - qy
    length = np.hypot(ex, ey)
    cross = ex * (py[..., None] - qy) - ey * (px[..., None] - qx)
    area = np.sum(qx * qy2 - qx2 * qy, axis=-1)  # twice the signed area
    sign = np.where(area >= 0, 1.0, -1.0)[..., None]
    return np.min(sign * cross / np.where(length > 0, length, 1.0), axis=-1)

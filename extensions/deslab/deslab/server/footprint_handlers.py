"""Footprint handlers: the survey's tiles for the sky map, and search by position or tile."""

from __future__ import annotations

import re
from typing import Any

import tornado.web

from deslab.cutouts import tiles as _tiles
from deslab.errors import CutoutError
from deslab.server.base import DeslabHandler
from deslab.server.errors import BadRequest
from deslab.server.serialize import table_records

_PAIR = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*[,\s]\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)"
                   r"\s*$")
_TILENAME = re.compile(r"^[A-Za-z0-9+\-_.]{1,40}$")


def _tiles_payload(index: _tiles.TileIndex) -> list[dict[str, Any]]:
    out = []
    for i, name in enumerate(index.names):
        out.append({
            "name": str(name),
            "ra": float(index.ra[i]),
            "dec": float(index.dec[i]),
            "crossra0": bool(index.crossra0[i]),
            "corners": [[float(index.corner_ra[i, k]), float(index.corner_dec[i, k])]
                        for k in range(4)],
        })
    return out


def parse_position(text: str) -> tuple[float, float] | None:
    """``"ra, dec"`` or ``"ra dec"`` in degrees, or sexagesimal (``"01:02:03 -04:05:06"``)."""
    m = _PAIR.match(text)
    if m:
        return float(m.group(1)), float(m.group(2))
    if re.search(r"[:hms]", text) and re.search(r"\d", text) and " " in text.strip():
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        try:
            c = SkyCoord(text, unit=(u.hourangle, u.deg))
        except (ValueError, TypeError):
            return None
        return float(c.ra.deg), float(c.dec.deg)
    return None


class FootprintHandler(DeslabHandler):
    """``GET /deslab/api/footprint``: every tile with its centre and corners."""

    @tornado.web.authenticated
    async def get(self) -> None:
        index = await self.run(_tiles.tile_index)
        self.reply({"tiles": _tiles_payload(index)})


class FootprintSearchHandler(DeslabHandler):
    """``GET /deslab/api/footprint/search?q=...``: tiles at a position, or a tile by name."""

    @tornado.web.authenticated
    async def get(self) -> None:
        q = self.get_query_argument("q", "").strip()
        if not q:
            raise BadRequest("give a position (\"RA, DEC\" in degrees, or \"hh:mm:ss "
                             "dd:mm:ss\") or a tile name such as DES0000+0000")
        if len(q) > 100:
            raise BadRequest("the search text is too long (at most 100 characters)")
        pos = parse_position(q)
        if pos is not None:
            found = await self.run(_tiles.tiles_at, *pos)
            tiles = table_records(found)
            self.reply({
                "query": q, "kind": "position", "ra": pos[0], "dec": pos[1],
                "tiles": [{"name": t["tilename"], "ra": t["ra_cent"], "dec": t["dec_cent"],
                           "edge_distance": t.get("edge_distance")} for t in tiles],
                "message": "" if tiles else
                f"no tile covers RA={pos[0]:g}, Dec={pos[1]:g}: it is off the footprint",
            })
            return
        if not _TILENAME.match(q):
            raise CutoutError(f"{q!r} is neither a position (\"RA, DEC\" in degrees) "
                              "nor a tile name such as DES0000+0000")
        found = await self.run(_tiles.tile_by_name, q)
        t = table_records(found)[0]
        self.reply({
            "query": q, "kind": "tile", "ra": t["ra_cent"], "dec": t["dec_cent"],
            "tiles": [{"name": t["tilename"], "ra": t["ra_cent"], "dec": t["dec_cent"],
                       "edge_distance": None}],
            "message": "",
        })

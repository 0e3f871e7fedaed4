"""What the cutout service needs from the catalog: tile rows and object positions.

Both go through :func:`deslab.catalog.api.query`, so they work on the DuckDB demo survey and
on the DES Oracle catalog alike (Oracle SQL, ``:name`` binds).
"""

from __future__ import annotations

from astropy.table import Table, vstack

TILE_COLUMNS = ["TILENAME", "RA_CENT", "DEC_CENT", "CROSSRA0"] + [
    f"{c}{k}" for c in ("RAC", "DECC") for k in range(1, 5)
]
ID_CHUNK = 500


def tile_rows() -> Table:
    """Every tile of ``DR2_TILE_INFO`` with its centre and corners."""
    from deslab.catalog.api import query

    return query(f"SELECT {', '.join(TILE_COLUMNS)} FROM DR2_TILE_INFO", timeout=120)


def object_positions(ids: list[int]) -> Table:
    """RA, DEC and TILENAME of the objects with these COADD_OBJECT_IDs (missing ones left out)."""
    from deslab.catalog.api import query

    parts = []
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        binds = {f"id{k}": int(v) for k, v in enumerate(chunk)}
        names = ", ".join(f":{k}" for k in binds)
        parts.append(query(
            "SELECT COADD_OBJECT_ID, RA, DEC, TILENAME FROM DR2_MAIN "
            f"WHERE COADD_OBJECT_ID IN ({names})", binds=binds, timeout=60,
        ))
    if not parts:
        return Table(names=["COADD_OBJECT_ID", "RA", "DEC", "TILENAME"],
                     dtype=["i8", "f8", "f8", "U12"])
    return vstack(parts) if len(parts) > 1 else parts[0]

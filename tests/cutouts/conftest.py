"""Fixtures of the cutout tests: the demo survey, its catalog opened read-only, helpers."""

from __future__ import annotations

import shutil

import duckdb
import pytest


@pytest.fixture
def survey(demo_env):
    """The demo survey, with deslab pointed at it; tile caches reset around each test."""
    from deslab.cutouts import tiles

    tiles.reset()
    yield demo_env
    tiles.reset()


@pytest.fixture(scope="session")
def catalog(demo_survey, tmp_path_factory):
    """A private read-only copy of the catalog, for checks in plain DuckDB SQL (the deslab
    catalog backend holds the original open with its own configuration)."""
    copy = tmp_path_factory.mktemp("catalog-copy") / "catalog.duckdb"
    shutil.copyfile(demo_survey / "catalog.duckdb", copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


def isolated_bright(con, tilename: str, n: int, where: str = "TRUE") -> list[tuple]:
    """Bright objects of a tile with nothing within 2 mag of them closer than 16 arcsec (so
    that nothing brighter shares a stamp of up to 0.5 arcmin around them)."""
    return con.execute(f"""
        SELECT a.COADD_OBJECT_ID, a.RA, a.DEC FROM DR2_MAIN a
        WHERE a.TILENAME = ? AND a.MAG_AUTO_G < 21.5 AND a.MAG_AUTO_Y < 20.5
          AND a.EXTENDED_CLASS_COADD <= 1 AND {where}
          AND NOT EXISTS (SELECT 1 FROM DR2_MAIN b WHERE b.COADD_OBJECT_ID <> a.COADD_OBJECT_ID
              AND abs(b.DEC - a.DEC) < 16 / 3600.0
              AND abs(((b.RA - a.RA + 540) % 360) - 180) < 16 / 3600.0
              AND b.MAG_AUTO_R < a.MAG_AUTO_R + 2)
        ORDER BY a.COADD_OBJECT_ID LIMIT ?""", [tilename, n]).fetchall()

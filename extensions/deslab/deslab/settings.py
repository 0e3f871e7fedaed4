"""Where things are, read from the environment the spawner sets.

``DESLAB_CATALOG``                catalog URL: ``duckdb:///path/catalog.duckdb`` or
                                  ``oracle://user@host:port/service``
``DESLAB_CATALOG_PASSWORD_FILE``  file that holds the catalog password (never in the URL)
``DESLAB_CATALOG_PASSWORD``       the password itself, when no file is given
``DESLAB_TILES``                  directory of the survey's FITS tiles
``DESLAB_JOBS_URL``               base URL of the job service (``.../services/jobs/``)
``DESLAB_HOME``                   user storage root; job results land in ``$DESLAB_HOME/jobs``

The same variables configure ``deslab`` on a laptop or in a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deslab.errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    catalog: str | None
    password_file: str | None
    password_env: str | None
    tiles: Path | None
    jobs_url: str | None
    home: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        tiles = env.get("DESLAB_TILES")
        return cls(
            catalog=env.get("DESLAB_CATALOG") or None,
            password_file=env.get("DESLAB_CATALOG_PASSWORD_FILE") or None,
            password_env=env.get("DESLAB_CATALOG_PASSWORD") or None,
            tiles=Path(tiles) if tiles else None,
            jobs_url=env.get("DESLAB_JOBS_URL") or None,
            home=Path(env.get("DESLAB_HOME") or Path.home()),
        )

    def require_catalog(self) -> str:
        if not self.catalog:
            raise ConfigurationError(
                "no catalog is configured: set DESLAB_CATALOG (for the demo survey, "
                "run `deslab demo-data --out DIR` and set "
                "DESLAB_CATALOG=duckdb:///DIR/catalog.duckdb)"
            )
        return self.catalog

    def require_tiles(self) -> Path:
        if self.tiles is None:
            raise ConfigurationError(
                "no tile directory is configured: set DESLAB_TILES (for the demo survey, "
                "DESLAB_TILES=DIR/tiles after `deslab demo-data --out DIR`)"
            )
        return self.tiles


def settings() -> Settings:
    """The settings in force now (read on every call, so tests can change the env)."""
    return Settings.from_env()

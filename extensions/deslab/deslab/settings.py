"""Where things are, read from the environment the spawner sets.

``DESLAB_CATALOG``                catalog URL: ``duckdb:///path/catalog.duckdb`` or
                                  ``oracle://user@host:port/service``
``DESLAB_CATALOG_PASSWORD_FILE``  file that holds the catalog password (never in the URL)
``DESLAB_CATALOG_PASSWORD``       the password itself, when no file is given
``DESLAB_TILES``                  directory of the survey's FITS tiles
``DESLAB_JOBS_URL``               base URL of the job service (``.../services/jobs/``)
``DESLAB_HOME``                   user storage root; job results land in ``$DESLAB_HOME/jobs``
``DESLAB_DUCKDB_MEMORY_LIMIT``    memory the DuckDB catalog may use before it spills to disk
                                  (DuckDB size, e.g. ``2GB``; default a quarter of the memory
                                  this process may use: the pod's cgroup limit, else the RAM)
``DESLAB_DUCKDB_TEMP_DIRECTORY``  where DuckDB spills (default ``$TMPDIR/deslab-duckdb-<uid>``)
``DESLAB_DUCKDB_MAX_TEMP_SIZE``   most disk DuckDB may spill to (default ``5GB``); a query that
                                  needs more ends with a clear error
``DESLAB_QUERY_MAX_BYTES``        most bytes one quick query (``deslab.query``) may hold in
                                  memory (default a quarter of the memory this process may
                                  use); bigger results are refused with a clear error (export
                                  them with ``query_to_file`` or a job instead)
``DESLAB_CATALOG_LINKS``          Oracle database link names that name this catalog (comma
                                  list, default ``DESDR``): ``DR2_MAIN@DESDR`` reads DR2_MAIN
                                  here; a table behind any other link is refused
``DESLAB_CATALOG_SCHEMAS``        schemas that hold this catalog's tables (comma list, default
                                  ``DES_ADMIN``): ``DES_ADMIN.DR2_MAIN`` is DR2_MAIN

The same variables configure ``deslab`` on a laptop or in a test.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
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
    duckdb_memory_limit: str = field(default_factory=lambda: default_memory_limit())
    duckdb_temp_directory: Path = field(default_factory=lambda: default_temp_directory())
    duckdb_max_temp_size: str = "5GB"
    query_max_bytes: int = field(default_factory=lambda: available_memory() // 4)
    catalog_links: tuple[str, ...] = ("DESDR",)
    catalog_schemas: tuple[str, ...] = ("DES_ADMIN",)

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
            duckdb_memory_limit=env.get("DESLAB_DUCKDB_MEMORY_LIMIT") or default_memory_limit(),
            duckdb_temp_directory=Path(env.get("DESLAB_DUCKDB_TEMP_DIRECTORY")
                                       or default_temp_directory()),
            duckdb_max_temp_size=env.get("DESLAB_DUCKDB_MAX_TEMP_SIZE") or "5GB",
            query_max_bytes=_bytes(env.get("DESLAB_QUERY_MAX_BYTES"),
                                   available_memory() // 4),
            catalog_links=_names(env.get("DESLAB_CATALOG_LINKS"), ("DESDR",)),
            catalog_schemas=_names(env.get("DESLAB_CATALOG_SCHEMAS"), ("DES_ADMIN",)),
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


def _bytes(text: str | None, default: int) -> int:
    if not text:
        return default
    units = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1 << 10,
             "MIB": 1 << 20, "GIB": 1 << 30}
    number = text.strip().upper()
    digits = number.rstrip("KMGIB ")
    unit = number[len(digits):].strip()
    try:
        return int(float(digits) * units[unit])
    except (ValueError, KeyError):
        raise ConfigurationError(
            f"DESLAB_QUERY_MAX_BYTES={text!r} is not a size: write e.g. 2GB, 500MB or 1000000"
        ) from None


def _names(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if text is None:
        return default
    return tuple(n.strip().upper() for n in text.split(",") if n.strip())


def available_memory() -> int:
    """Bytes this process may use: the cgroup (pod) memory limit when there is one, else the
    machine's RAM; never more than its address-space limit (``RLIMIT_AS``, which the job
    service sets on local workers)."""
    import resource

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft != resource.RLIM_INFINITY and 0 < soft < total:
        total = soft
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            return int(text)
    return total


def default_memory_limit() -> str:
    """A quarter of :func:`available_memory` (at least 256 MB), as a DuckDB size string."""
    return f"{max(available_memory() // 4 // (1 << 20), 256)}MB"


def default_temp_directory() -> Path:
    """``$TMPDIR/deslab-duckdb-<uid>``: local disk of the pod, one per Unix account."""
    return Path(tempfile.gettempdir()) / f"deslab-duckdb-{os.getuid()}"


def settings() -> Settings:
    """The settings in force now (read on every call, so tests can change the env)."""
    return Settings.from_env()

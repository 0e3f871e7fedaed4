"""Catalog URLs and the credentials that go with them.

A catalog is named by a URL without a password:

``duckdb:///path/to/catalog.duckdb``
    the embedded DuckDB catalog (the demo survey);
``oracle://user@host:port/service[?mode=thick&lib_dir=DIR&config_dir=DIR]``
    the DES Oracle database through python-oracledb (thin mode unless ``mode=thick``).

The password comes from the file named by ``DESLAB_CATALOG_PASSWORD_FILE`` or from
``DESLAB_CATALOG_PASSWORD``. It is held in a :class:`Secret`, whose ``str`` and ``repr`` never
show it, and no message built here contains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from deslab.errors import ConfigurationError
from deslab.settings import Settings, settings

SCHEMES = ("duckdb", "oracle")
ORACLE_OPTIONS = ("mode", "lib_dir", "config_dir")
ORACLE_DEFAULT_PORT = 1521


class Secret:
    """A password that never shows itself in ``str``, ``repr`` or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The password itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # never pickle a password into a file or a worker
        raise TypeError("a catalog password cannot be pickled")


@dataclass(frozen=True)
class CatalogURL:
    """A parsed catalog URL. ``str()`` gives the URL as safe to show (it has no password).

    Parameters
    ----------
    scheme : str
        ``"duckdb"`` or ``"oracle"``.
    path : str or None
        The database file (DuckDB).
    user, host, service : str or None
        Account, server and service name (Oracle).
    port : int or None
        Server port (Oracle, default 1521).
    options : dict
        Query-string options (Oracle: ``mode``, ``lib_dir``, ``config_dir``).
    """

    scheme: str
    path: str | None = None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    service: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme == "duckdb":
            return f"duckdb://{self.path}" if self.path else "duckdb://"
        return f"oracle://{self.user}@{self.host}:{self.port}/{self.service}"

    @property
    def thick(self) -> bool:
        return self.options.get("mode", "thin") == "thick"


def parse_url(url: str) -> CatalogURL:
    """Parse a catalog URL; refuse one that carries a password or names an unknown scheme.

    Parameters
    ----------
    url : str
        ``duckdb:///path`` or ``oracle://user@host:port/service``.

    Returns
    -------
    CatalogURL

    Raises
    ------
    ConfigurationError
        The URL is malformed, has a password in it, or its scheme is not one of
        ``duckdb``, ``oracle``. The message never repeats the URL (it may hold a password).
    """
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower().split("+")[0]
        password_given = parts.password is not None
        port = parts.port
    except ValueError:
        raise ConfigurationError(
            "DESLAB_CATALOG is not a valid catalog URL: use duckdb:///path/catalog.duckdb "
            "or oracle://user@host:port/service"
        ) from None
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"DESLAB_CATALOG has an unknown scheme {scheme or '(none)'!r}: valid schemes are "
            + ", ".join(SCHEMES)
        )
    if password_given:
        raise ConfigurationError(
            "DESLAB_CATALOG must not contain a password: remove it from the URL and put it "
            "in the file named by DESLAB_CATALOG_PASSWORD_FILE (or DESLAB_CATALOG_PASSWORD)"
        )
    if scheme == "duckdb":
        path = unquote(parts.netloc + parts.path)
        if path.startswith("/"):
            path = "/" + path.lstrip("/")
        if not path:
            raise ConfigurationError(
                "DESLAB_CATALOG=duckdb:// names no database file: use "
                "duckdb:///path/to/catalog.duckdb"
            )
        # duckdb:///abs/path -> '/abs/path'; duckdb:///rel -> '/rel' is absolute as written
        return CatalogURL("duckdb", path=path)
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - set(ORACLE_OPTIONS))
    if unknown:
        raise ConfigurationError(
            f"unknown Oracle catalog option(s) {', '.join(unknown)}: valid options are "
            + ", ".join(ORACLE_OPTIONS)
        )
    if options.get("mode", "thin") not in ("thin", "thick"):
        raise ConfigurationError("Oracle option mode must be 'thin' (default) or 'thick'")
    service = parts.path.lstrip("/")
    if not parts.username or not parts.hostname or not service:
        raise ConfigurationError(
            "an Oracle catalog URL needs a user, a host and a service name: "
            "oracle://user@host:port/service"
        )
    return CatalogURL(
        "oracle",
        user=unquote(parts.username),
        host=parts.hostname,
        port=port or ORACLE_DEFAULT_PORT,
        service=service,
        options=options,
    )


def load_password(conf: Settings | None = None) -> Secret:
    """Read the catalog password from the file or variable named in the settings.

    Raises
    ------
    ConfigurationError
        Neither ``DESLAB_CATALOG_PASSWORD_FILE`` nor ``DESLAB_CATALOG_PASSWORD`` is set, or the
        file cannot be read. The message names the variable, never the password.
    """
    conf = conf or settings()
    if conf.password_file:
        path = Path(conf.password_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the catalog password file named by DESLAB_CATALOG_PASSWORD_FILE "
                f"({path}): {exc.strerror or exc}; check the path and its permissions"
            ) from None
        password = text.rstrip("\r\n")
        if not password:
            raise ConfigurationError(
                f"the catalog password file {path} is empty: write the password into it"
            )
        return Secret(password)
    if conf.password_env:
        return Secret(conf.password_env)
    raise ConfigurationError(
        "the Oracle catalog needs a password: set DESLAB_CATALOG_PASSWORD_FILE to a file "
        "holding it (or DESLAB_CATALOG_PASSWORD)"
    )

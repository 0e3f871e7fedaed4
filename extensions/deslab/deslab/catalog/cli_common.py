"""Bits shared by the ``deslab sql``, ``deslab query`` and ``deslab describe`` commands."""

from __future__ import annotations

import argparse

from deslab.errors import QueryError


def parse_bind(text: str) -> tuple[str, object]:
    """``name=value`` -> (name, value); the value becomes an int or float when it reads as one."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise QueryError(f"--bind takes NAME=VALUE, not {text!r}")
    v: object = value
    for conv in (int, float):
        try:
            v = conv(value)
            break
        except ValueError:
            continue
    return name.strip().lstrip(":"), v


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", default=None, metavar="URL",
                        help="catalog URL (default: $DESLAB_CATALOG); never put a password in "
                        "it, it is read from $DESLAB_CATALOG_PASSWORD_FILE")

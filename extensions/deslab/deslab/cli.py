"""The ``deslab`` command. Each subcommand lives in the module that owns its feature.

A subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; this file only dispatches, and turns DESlab errors into a one-line
message and exit code 2 (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from deslab.errors import DeslabError

# subcommand -> module implementing it
SUBCOMMANDS = {
    "sql": "deslab.catalog.shell",
    "query": "deslab.catalog.query_cli",
    "describe": "deslab.catalog.describe_cli",
    "demo-data": "deslab.demo.cli",
    "recompress-tiles": "deslab.cutouts.recompress",
}


def build_parser(available: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deslab", description="DESlab: query the survey catalog, export results, demo data."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in available.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _available() -> dict[str, object]:
    found = {}
    for name, path in SUBCOMMANDS.items():
        try:
            found[name] = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
    return found


def main(argv: list[str] | None = None) -> int:
    args = build_parser(_available()).parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except DeslabError as exc:
        print(f"deslab {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"deslab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``deslab query "SQL" -o FILE``: run one query from a script, print it or write a file."""

from __future__ import annotations

import argparse
import sys

from deslab.catalog.cli_common import add_catalog_argument, parse_bind

HELP = "run one Oracle SQL query; print the rows or export them with -o FILE"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="the query (Oracle SQL); '-' reads it from stdin")
    parser.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="write the result to FILE (.fits .h5 .csv .csv.gz .parquet .vot)")
    parser.add_argument("--format", default=None,
                        help="fits, hdf5, csv, parquet or votable (default: from the extension)")
    parser.add_argument("--compression", default=None, help="gzip (CSV, HDF5), a Parquet codec")
    parser.add_argument("--max-file-bytes", type=int, default=None, metavar="N",
                        help="split the output into numbered files of about N bytes")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="cancel after S seconds (default: 30 for printing, none for -o)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="print at most N rows (without -o)")
    parser.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                        help="value of the :NAME bind variable (repeat for several)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    add_catalog_argument(parser)


def run(args: argparse.Namespace) -> int:
    from deslab.catalog import api
    from deslab.catalog.display import to_text

    sql = sys.stdin.read() if args.sql == "-" else args.sql
    binds = dict(parse_bind(b) for b in args.bind)
    if args.output:
        progress = None
        if not args.quiet and sys.stderr.isatty():
            def progress(rows: int, message: str) -> None:
                print(f"\r{rows} rows", end="", file=sys.stderr, flush=True)
        result = api.query_to_file(sql, args.output, binds=binds, format=args.format,
                                   compression=args.compression,
                                   max_file_bytes=args.max_file_bytes, timeout=args.timeout,
                                   progress=progress, catalog=args.catalog)
        if not args.quiet:
            names = ", ".join(str(p) for p in result.paths)
            print(f"\r{result.rows} rows written to {names} ({result.bytes} bytes, "
                  f"{result.seconds:.2f} s)", file=sys.stderr)
        return 0
    timeout = api.DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    table = api.query(sql, binds=binds, timeout=timeout, limit=args.limit,
                      catalog=args.catalog)
    print(to_text(table, max_rows=max(len(table), 1), width=10_000))
    return 0

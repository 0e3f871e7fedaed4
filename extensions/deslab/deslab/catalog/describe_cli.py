"""``deslab describe [TABLE]``: the catalog's tables, a table's columns, or a name search."""

from __future__ import annotations

import argparse

from deslab.catalog.cli_common import add_catalog_argument

HELP = "list the catalog's tables, describe one table, or find tables/columns by name"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", nargs="?", default=None,
                        help="table to describe (columns, types, units, descriptions)")
    parser.add_argument("--find-tables", default=None, metavar="PATTERN",
                        help="tables whose name contains PATTERN (or matches %%/* wildcards)")
    parser.add_argument("--find-columns", default=None, metavar="PATTERN",
                        help="columns, in any table, whose name contains PATTERN")
    parser.add_argument("--find-tables-with-column", default=None, metavar="PATTERN",
                        help="tables having a column whose name contains PATTERN (as"
                             " easyaccess's find_tables_with_column)")
    add_catalog_argument(parser)


def run(args: argparse.Namespace) -> int:
    from deslab.catalog import api

    if args.find_columns is not None:
        table = api.find_columns(args.find_columns, catalog=args.catalog)
    elif args.find_tables_with_column is not None:
        table = api.find_tables_with_column(args.find_tables_with_column, catalog=args.catalog)
    elif args.find_tables is not None or args.table is None:
        table = api.find_tables(args.find_tables or "", catalog=args.catalog)
    else:
        table = api.describe_table(args.table, catalog=args.catalog)
        if table.meta.get("description"):
            print(f"{table.meta['table']}: {table.meta['description']}")
    for line in table.pformat(max_lines=-1, max_width=-1):
        print(line)
    return 0

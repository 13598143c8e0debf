"""`zoo models`: the zoo table (name, task, parameters, FLOPs, CPU latency, accuracy)."""

from __future__ import annotations

import argparse

NAME = "models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="models to show (default: all)")
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print docs/model_zoo.md: `zoo models --markdown > docs/model_zoo.md`",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--no-latency", action="store_true", help="skip the CPU latency measurement (faster)"
    )


def run(args: argparse.Namespace) -> int:
    from zoo.models import entry, table

    for name in args.names:
        entry(name)  # unknown names fail before anything is built
    rows = table.rows(args.names or None, latency=not args.no_latency)
    if args.json:
        print(table.format_json(rows))
    elif args.markdown:
        print(table.format_markdown(rows), end="")
    else:
        print(table.format_text(rows))
    return 0

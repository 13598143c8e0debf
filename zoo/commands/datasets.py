"""`zoo datasets list` and `zoo datasets make NAME [--out DIR]`."""

from __future__ import annotations

import argparse

NAME = "datasets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="the built-in data sets")
    make = sub.add_parser(
        "make",
        help="write a data set as video files plus manifest.csv",
        formatter_class=parser.formatter_class,
    )
    make.add_argument("name", help="a name from `zoo datasets list`")
    make.add_argument("--out", help="output folder (default: the zoo cache)")
    make.add_argument(
        "--label",
        choices=["direction", "digit", "both"],
        help="what the classes are (moving_digits only; default: direction)",
    )
    make.add_argument("--seed", type=int, default=0, help="the same seed gives the same bytes")


def run(args: argparse.Namespace) -> int:
    from zoo import datasets

    if args.action == "list":
        for name, description in datasets.AVAILABLE.items():
            print(f"{name:16s} {description}")
        return 0
    options = {"seed": args.seed}
    if args.label is not None:
        if args.name != "moving_digits":
            raise ValueError(f"--label is for moving_digits, not {args.name}")
        options["label"] = args.label
    out = datasets.make(args.name, args.out, **options)
    print(f"wrote {out} (manifest: {out / 'manifest.csv'})")
    return 0

"""`zoo evaluate RUN [--data SRC] [--split test]`: metrics, confusion matrix and mistakes into RUN/eval."""

from __future__ import annotations

import argparse

from zoo.commands.train import add_layout_arguments, add_on_error_argument

NAME = "evaluate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a run folder written by `zoo train`")
    parser.add_argument(
        "--data",
        help="folder tree or manifest (default: the run's data, or the videos it held out "
        "for validation when that data has no test split)",
    )
    parser.add_argument(
        "--split", default="test", help="split to evaluate; data without splits: every video"
    )
    parser.add_argument("--clips", type=int, default=3, help="clips per video, spaced in time")
    parser.add_argument("--crops", type=int, default=3, help="spatial crops per clip")
    parser.add_argument("--batch-size", type=int, default=8, help="videos per batch")
    add_layout_arguments(parser, of_run=True)
    add_on_error_argument(parser)


def run(args: argparse.Namespace) -> int:
    from zoo.evaluate import evaluate

    evaluate(
        args.run,
        args.data,
        args.split,
        args.clips,
        args.crops,
        args.batch_size,
        on_error=args.on_error,
        format=args.format,
        fold=args.fold,
    )
    print(
        f"wrote {args.run}/eval/ (metrics.json, report.txt, confusion_matrix.png/.json, "
        "mistakes.png)"
    )
    return 0

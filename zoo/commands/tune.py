"""`zoo tune --model NAME --data SRC --out RUN`: hyperparameter search, then the best retrained."""

from __future__ import annotations

import argparse

from zoo.commands.train import add_recipe_arguments, recipe_options

NAME = "tune"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_recipe_arguments(parser)
    parser.add_argument(
        "--algorithm", default="hyperband", choices=["hyperband", "random"], help="search method"
    )
    parser.add_argument("--max-trials", type=int, default=10, help="trials of the random search")
    parser.add_argument(
        "--final-epochs", type=int, help="epochs of the final run (default: --epochs)"
    )


def run(args: argparse.Namespace) -> int:
    from zoo import models
    from zoo.tune import tune

    models.entry(args.model)
    tune(
        args.model,
        args.data,
        args.out,
        algorithm=args.algorithm,
        max_trials=args.max_trials,
        final_epochs=args.final_epochs,
        **recipe_options(args),
    )
    return 0

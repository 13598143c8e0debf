"""`zoo train --model NAME --data SRC --out RUN`: train with checkpoints, logs and resume."""

from __future__ import annotations

import argparse
import json

NAME = "train"


def add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    """The `TrainConfig` options, shared by `zoo train` and `zoo tune`."""
    parser.add_argument("--model", required=True, help="a name from `zoo models`")
    parser.add_argument(
        "--data",
        required=True,
        help="folder tree or CSV manifest with train/val splits, or moving_digits",
    )
    parser.add_argument("--out", required=True, help="the run folder (rerun it to resume)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--clip-len", type=int, default=8, help="frames per clip")
    parser.add_argument("--frame-step", type=int, default=2, help="distance between frames")
    parser.add_argument("--size", type=int, default=64, help="frame height and width")
    parser.add_argument("--optimizer", default="adamw", help="adamw, adam, sgd or rmsprop")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--warmup-epochs", type=float, default=1.0)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--no-augment", action="store_true", help="no random crops or colour")
    parser.add_argument("--patience", type=int, default=5, help="early-stopping patience")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model-options",
        type=json.loads,
        default={},
        help="builder options as JSON, e.g. '{\"width\": 8}'",
    )


def recipe_options(args: argparse.Namespace) -> dict:
    """`TrainConfig` fields from parsed `add_recipe_arguments` arguments."""
    return dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        clip_len=args.clip_len,
        frame_step=args.frame_step,
        size=args.size,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs,
        label_smoothing=args.label_smoothing,
        augment=not args.no_augment,
        patience=args.patience,
        seed=args.seed,
        model_options=args.model_options,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_recipe_arguments(parser)
    parser.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="TensorFlow op determinism: identical weights for one seed, but no XLA "
        "(default: on with a CPU, off with a GPU)",
    )


def run(args: argparse.Namespace) -> int:
    from zoo import models
    from zoo.train import train

    models.entry(args.model)
    train(
        args.model,
        args.data,
        args.out,
        deterministic=args.deterministic,
        **recipe_options(args),
    )
    return 0

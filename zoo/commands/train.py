"""`zoo train --model NAME --data SRC --out RUN`: train with checkpoints, logs and resume."""

from __future__ import annotations

import argparse
import json

NAME = "train"


def json_object(text: str) -> dict:
    """`--model-options`: a JSON object, or argparse's one-line usage error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err.msg}): {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object such as '{{\"width\": 8}}': {text}"
        )
    return value


def add_on_error_argument(parser: argparse.ArgumentParser) -> None:
    """`--on-error skip|raise`, shared by the commands that read many videos."""
    parser.add_argument(
        "--on-error",
        choices=("skip", "raise"),
        default="skip",
        help="a broken video: skip it (counted, listed at the end and in the output folder) "
        "or stop with its name",
    )


def add_layout_arguments(parser: argparse.ArgumentParser, of_run: bool = False) -> None:
    """`--format` and `--fold`: how to read a public data set's annotation files.

    `of_run`: for a command that reads a run's data unless `--data` is given
    (`zoo evaluate`): the options then default to the run's own.
    """
    from zoo.data.formats import FORMATS

    run = "; without --data, the run's" if of_run else ""
    parser.add_argument(
        "--format", choices=FORMATS, help=f"data layout (default: detected from the files{run})"
    )
    parser.add_argument(
        "--fold",
        type=int,
        default=None if of_run else 1,
        help=f"split file number (UCF101, HMDB51) (default: 1{run})",
    )


def add_recipe_arguments(parser: argparse.ArgumentParser, features: bool = False) -> None:
    """The `TrainConfig` options, shared by `zoo train` and `zoo tune`.

    `features`: `--features DIR` may replace `--model` and `--data` (`zoo train`).
    """
    instead = " (or --features)" if features else ""
    parser.add_argument("--model", required=not features, help=f"a name from `zoo models`{instead}")
    parser.add_argument(
        "--data",
        required=not features,
        help="folder per class (with or without train/val/test), CSV manifest, TFRecord "
        f"shards, or moving_digits{instead}",
    )
    if features:
        parser.add_argument(
            "--features",
            help="train only the head, on embeddings `zoo embed` stored in this folder (the "
            "model, data and clip settings are theirs); the run holds backbone and head",
        )
    parser.add_argument("--out", required=True, help="the run folder (rerun it to resume)")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training videos")
    parser.add_argument("--batch-size", type=int, default=16, help="clips per training step")
    parser.add_argument("--clip-len", type=int, default=8, help="frames per clip")
    parser.add_argument("--frame-step", type=int, default=2, help="distance between frames")
    parser.add_argument("--size", type=int, default=64, help="frame height and width")
    parser.add_argument("--optimizer", default="adamw", help="adamw, adam, sgd or rmsprop")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW / SGD decay")
    parser.add_argument(
        "--warmup-epochs", type=float, default=1.0, help="linear warm-up before the cosine decay"
    )
    parser.add_argument("--label-smoothing", type=float, default=0.1, help="of the targets")
    parser.add_argument("--no-augment", action="store_true", help="no random crops or colour")
    parser.add_argument("--patience", type=int, default=5, help="early-stopping patience")
    parser.add_argument(
        "--seed", type=int, default=0, help="seeds sampling, augmentation and weights"
    )
    add_layout_arguments(parser)
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of the videos held out for validation when the data has no val split",
    )
    parser.add_argument(
        "--model-options",
        type=json_object,
        default={},
        help="builder options as JSON, e.g. '{\"width\": 8}' (`zoo models` lists the models)",
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
        val_fraction=args.val_fraction,
        format=args.format,
        fold=args.fold,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_recipe_arguments(parser, features=True)
    add_on_error_argument(parser)
    parser.add_argument(
        "--init",
        help="fine-tune: start from a run folder, a .keras file or pretrained:NAME (every "
        "layer that fits takes its weights; the classifier is new for new classes)",
    )
    parser.add_argument(
        "--freeze-epochs",
        type=int,
        default=0,
        help="with --init: epochs that train only the new layers before the whole model",
    )
    parser.add_argument(
        "--class-weight",
        choices=("balanced",),
        help="weigh each class's loss by the inverse of its share of the videos",
    )
    parser.add_argument(
        "--multi-label",
        action="store_true",
        help="several labels per clip (a manifest's label column as `a|b`): sigmoid scores, "
        "binary cross-entropy, per-label thresholds tuned on validation (RUN/thresholds.json)",
    )
    parser.add_argument(
        "--data-service",
        metavar="HOST:PORT",
        help="read, decode and augment the training clips on the workers of this tf.data "
        "service dispatcher (`zoo data-service`); validation clips are decoded here",
    )
    parser.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="TensorFlow op determinism: identical weights for one seed, but no XLA "
        "(default: on with a CPU, off with a GPU)",
    )


# Options that `--features` does not take: the stored embeddings fix them.
NOT_WITH_FEATURES = ("model", "data", "init", "class_weight", "data_service", "multi_label")
FIXED_BY_FEATURES = (
    *("clip_len", "frame_step", "size", "format", "fold", "model_options", "val_fraction"),
    "augment",  # a stored embedding is of one unaugmented clip
)


def run(args: argparse.Namespace) -> int:
    from zoo.train import train, train_probe

    if args.features:
        given = [name for name in NOT_WITH_FEATURES if getattr(args, name)]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(f"--features takes the model and data of the embeddings, not {flags}")
        options = {k: v for k, v in recipe_options(args).items() if k not in FIXED_BY_FEATURES}
        train_probe(args.features, args.out, deterministic=args.deterministic, **options)
        return 0
    if not (args.model and args.data):
        raise ValueError("give --model and --data (or --features DIR)")
    train(
        args.model,
        args.data,
        args.out,
        deterministic=args.deterministic,
        on_error=args.on_error,
        data_service=args.data_service,
        init=args.init,
        freeze_epochs=args.freeze_epochs,
        class_weight=args.class_weight,
        multi_label=args.multi_label,
        **recipe_options(args),
    )
    return 0

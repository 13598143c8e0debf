"""The `zoo` command line. Each sub-command lives in its own module under `zoo/commands/`.

A command module has `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so `zoo --help` is instant
and TensorFlow loads only for commands that need it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> (module, one-line help). Order is the order `zoo --help` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "quickstart": (
        "zoo.commands.quickstart",
        "make data, train, evaluate, export and predict, end to end",
    ),
    "datasets": ("zoo.commands.datasets", "list or make the built-in data sets"),
    "models": ("zoo.commands.models", "the zoo table: parameters, FLOPs, CPU latency, accuracy"),
    "scan": ("zoo.commands.scan", "check every video under DIR: ok / unreadable / too short / odd"),
    "convert": (
        "zoo.commands.convert",
        "videos (folder or manifest) to sharded TFRecords of JPEG frames",
    ),
    "train": ("zoo.commands.train", "train with checkpoints, TensorBoard logs and resume"),
    "evaluate": ("zoo.commands.evaluate", "metrics, confusion matrix and mistakes of a run"),
    "tune": ("zoo.commands.tune", "hyperparameter search (Hyperband or random), best retrained"),
    "export": ("zoo.commands.export", "write a run as SavedModel, LiteRT or ONNX"),
    "predict": ("zoo.commands.predict", "top-k labels per video from a model, run or SavedModel"),
}


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2, no traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="Video deep learning with Keras.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        _parser().parse_args(argv or ["--help"])
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    module = importlib.import_module(COMMANDS[argv[0]][0])
    parser = argparse.ArgumentParser(prog=f"zoo {argv[0]}", description=COMMANDS[argv[0]][1])
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except (UserError, FileNotFoundError, FileExistsError, KeyError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"zoo {argv[0]}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zoo {argv[0]}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

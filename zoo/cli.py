"""The `zoo` command line. Each sub-command lives in its own module under `zoo/commands/`.

A command module has `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so `zoo --help` is instant
and TensorFlow loads only for commands that need it.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import sys

from zoo import quiet

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
    "embed": (
        "zoo.commands.embed",
        "a frozen backbone's embeddings of every video, once, to TFRecord shards (resumable)",
    ),
    "train": ("zoo.commands.train", "train with checkpoints, TensorBoard logs and resume"),
    "data-service": (
        "zoo.commands.data_service",
        "a tf.data service dispatcher or worker: decoding for zoo train --data-service",
    ),
    "evaluate": ("zoo.commands.evaluate", "metrics, confusion matrix and mistakes of a run"),
    "tune": ("zoo.commands.tune", "hyperparameter search (Hyperband or random), best retrained"),
    "export": ("zoo.commands.export", "write a run as SavedModel, LiteRT or ONNX"),
    "predict": ("zoo.commands.predict", "top-k labels per video from a model, run or SavedModel"),
    "annotate": ("zoo.commands.annotate", "a timeline of labelled segments over long videos"),
}


class DefaultsShown(argparse.HelpFormatter):
    """`--help` shows each option's default, unless its help text already names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = (
            action.default is None or action.default is False or action.default == argparse.SUPPRESS
        )
        shown = "default" in text or unset
        return text if shown or not action.option_strings else f"{text} (default: %(default)s)"


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2, no traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="Video deep learning with Keras.")
    version = importlib.metadata.version("zoo")
    parser.add_argument("--version", action="version", version=f"zoo {version}")
    parser.add_argument(
        "--verbose", action="store_true", help="let TensorFlow print its log lines (any command)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv, verbose = quiet.take_verbose_flag(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        _parser().parse_args(argv or ["--help"])
        return 2
    quiet.quiet_tensorflow(verbose)
    module = importlib.import_module(COMMANDS[argv[0]][0])
    parser = argparse.ArgumentParser(
        prog=f"zoo {argv[0]}", description=COMMANDS[argv[0]][1], formatter_class=DefaultsShown
    )
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    code = _run(module, args, argv[0])
    # Objects of a failed command (a tf.data iterator among them) may sit in
    # reference cycles with its error; deleted at interpreter exit, an iterator
    # waits forever for decoding threads that can no longer run Python.
    gc.collect()
    return code


def _run(module, args: argparse.Namespace, command: str) -> int:
    """Runs one command; a user mistake or a stopped pipeline becomes one error line."""
    try:
        return int(module.run(args) or 0)
    except (UserError, FileNotFoundError, FileExistsError, KeyError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        return _fail(command, str(message), 2)
    except KeyboardInterrupt:
        return _fail(command, "interrupted", 130)
    except Exception as err:
        if not _is_tensorflow_error(err):
            raise  # a bug: its traceback helps
        return _fail(command, _first_line(err.message), 1)


def _is_tensorflow_error(err: BaseException) -> bool:
    """A `tf.errors.OpError` (checked without importing TensorFlow)."""
    return any(cls.__module__.startswith("tensorflow.") for cls in type(err).__mro__[:-2])


def _first_line(message: str) -> str:
    return next((line.strip() for line in message.splitlines() if line.strip()), "failed")


def _fail(command: str, message: str, code: int) -> int:
    """Prints `message` as the command's one error line; returns the exit code."""
    print(f"zoo {command}: error: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

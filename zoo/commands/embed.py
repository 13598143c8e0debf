"""`zoo embed --model SOURCE --data SRC --out DIR`: a frozen backbone's embeddings, once, to shards."""

from __future__ import annotations

import argparse

from zoo.commands.convert import add_runner_arguments, beam_flags
from zoo.commands.train import add_layout_arguments, add_on_error_argument, json_object

NAME = "embed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        help='videoprism (built with --model-options, e.g. \'{"preset": "DIR"}\'), '
        "or a .keras file or run folder of such a model",
    )
    parser.add_argument(
        "--data", required=True, help="folder tree, manifest or moving_digits, as for zoo train"
    )
    parser.add_argument("--out", required=True, help="the features folder (rerun it to resume)")
    parser.add_argument(
        "--model-options", type=json_object, default={}, help="builder options as JSON"
    )
    parser.add_argument("--clip-len", type=int, default=8, help="frames per clip")
    parser.add_argument("--frame-step", type=int, default=2, help="distance between frames")
    parser.add_argument("--size", type=int, default=64, help="frame height and width")
    parser.add_argument(
        "--clips", type=int, default=1, help="evenly spaced clips per video, each embedded"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="videos per forward pass")
    parser.add_argument("--shard-size", type=int, default=256, help="videos per TFRecord shard")
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of the videos held out for validation when the data has no val split",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the held-out split")
    add_layout_arguments(parser)
    add_on_error_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_runner_arguments(
        parser,
        "; a Beam run embeds every video in one go, without resuming shard by shard, "
        "into an --out that holds no shards yet",
    )


def run(args: argparse.Namespace) -> int:
    from zoo.embed import embed

    flags = beam_flags(args)
    out = embed(
        args.model,
        args.data,
        args.out,
        batch_size=args.batch_size,
        on_error=args.on_error,
        show_progress=not args.no_progress,
        model_options=args.model_options,
        clip_len=args.clip_len,
        frame_step=args.frame_step,
        size=args.size,
        clips=args.clips,
        shard_size=args.shard_size,
        val_fraction=args.val_fraction,
        format=args.format,
        fold=args.fold,
        seed=args.seed,
        runner=args.runner,
        beam_flags=flags,
    )
    print(f"wrote {out}/ (train it: zoo train --features {out} --out RUN)")
    return 0

"""`zoo convert SRC OUT`: videos (a folder per class or a manifest) to TFRecord shards of JPEG frames."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "convert"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "src", help="a folder per class (optionally under train/val/test) or a CSV manifest"
    )
    parser.add_argument(
        "out", help="output folder; splits go to OUT/<split>/, class names to OUT/labels.txt"
    )
    parser.add_argument("--shards", type=int, default=4, help="shards per split (default 4)")
    parser.add_argument("--split", help="convert only this split")
    parser.add_argument(
        "--shorter-side", type=int, help="scale frames down to this shorter side (default: keep)"
    )
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality 1-100 (default 90)")
    parser.add_argument(
        "--on-error",
        choices=["raise", "skip"],
        default="raise",
        help="what to do with a broken video",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def run(args: argparse.Namespace) -> int:
    from zoo.data.sources import SPLITS, list_clips
    from zoo.data.tfrecord import write_labels, write_shards

    if args.shards < 1 or not 1 <= args.quality <= 100:
        raise ValueError("--shards must be at least 1 and --quality between 1 and 100")
    splits = (
        [args.split] if args.split else [s for s in SPLITS if _has_split(args.src, s)] or [None]
    )
    out = Path(args.out)
    for split in splits:
        clips = list_clips(args.src, split)
        if not len(clips):
            raise FileNotFoundError(
                f"{args.src}: no videos" + (f" in split {split!r}" if split else "")
            )
        folder = out / split if split else out
        paths, skipped = write_shards(
            clips,
            folder,
            args.shards,
            prefix=split or "clips",
            quality=args.quality,
            shorter_side=args.shorter_side,
            on_error=args.on_error,
            show_progress=not args.no_progress,
        )
        write_labels(out, clips.class_names)
        print(f"{folder}: {len(clips) - len(skipped)} clips in {len(paths)} shards")
        for path, reason in skipped.items():
            print(f"  skipped {path}: {reason}")
    print(f"class names: {out / 'labels.txt'}")
    return 0


def _has_split(src: str, split: str) -> bool:
    from zoo.data.sources import list_clips

    try:
        return len(list_clips(src, split)) > 0
    except FileNotFoundError:
        return False

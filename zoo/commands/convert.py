"""`zoo convert SRC OUT`: videos (a folder per class or a manifest) to TFRecord shards of JPEG frames.

A conversion is all or nothing. Every split is written into a temporary
folder inside OUT (`OUT/.convert-*`), and only when all of them are complete
are the files moved into place, by renames. A conversion that fails or is
interrupted removes that folder and leaves OUT as it was, an earlier
conversion included.

A broken video is skipped by default (`--on-error skip`): one broken file in
thousands should not cost a long conversion. The skipped clips are counted,
the first few printed, and all of them listed in OUT/skipped.json
(`{clip: reason}`, `{}` when none). `--on-error raise` stops at the first one
with a one-line error naming it.

`--runner direct|flink|spark|dataflow` runs the conversion as an Apache Beam
pipeline instead (`zoo.beam`, `pip install "zoo[beam]"`): one element per
video, decoded and encoded in the workers. Its shards go to the same staging
folder and are published the same way, so it is all or nothing too.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from zoo.atomic import move_files, staging_folder

NAME = "convert"
SKIPPED_FILE = "skipped.json"
SKIPS_SHOWN = 5  # skipped clips printed at the end; skipped.json lists all of them
RUNNERS = ("direct", "flink", "spark", "dataflow")  # Beam's DirectRunner, FlinkRunner, ...


@dataclasses.dataclass
class _Written:
    """One split as written to the staging folder."""

    split: str | None  # None: a source without splits
    prefix: str  # shard names start with it
    shards: list[Path]
    clips: int
    skipped: dict[str, str]


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
        default="skip",
        help="a broken video: skip it (listed in OUT/skipped.json) or stop with an error",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    add_runner_arguments(parser)


def add_runner_arguments(parser: argparse.ArgumentParser, note: str = "") -> None:
    """`--runner`, `--direct-workers` and `--beam-option`: the command as a Beam pipeline."""
    group = parser.add_argument_group(
        "Apache Beam", f'run as a Beam pipeline (pip install "zoo[beam]"){note}'
    )
    group.add_argument(
        "--runner",
        choices=RUNNERS,
        help="run on this Beam runner (default: in this process, without Beam)",
    )
    group.add_argument(
        "--direct-workers",
        type=int,
        default=2,
        metavar="N",
        help="worker processes of --runner direct, in its multi_processing mode",
    )
    group.add_argument(
        "--beam-option",
        action="append",
        metavar="KEY[=VALUE]",
        help="a Beam pipeline option, repeatable: flink_master=HOST:8081, "
        "project=P, temp_location=gs://..., sdk_container_image=IMAGE",
    )


def beam_flags(args: argparse.Namespace) -> list[str]:
    """The Beam pipeline flags of `args` (`--direct_num_workers=N`, `--KEY=VALUE`, ...),
    after checking that Beam is installed; `[]` for an in-process run."""
    if args.runner is None:
        if args.beam_option:
            raise ValueError("--beam-option needs --runner")
        return []
    from zoo.cli import UserError

    try:
        import zoo.beam  # noqa: F401
    except ImportError as err:
        raise UserError(str(err)) from None
    if args.direct_workers < 1:
        raise ValueError("--direct-workers must be at least 1")
    flags = [f"--direct_num_workers={args.direct_workers}"] if args.runner == "direct" else []
    return flags + [f"--{option.lstrip('-')}" for option in args.beam_option or []]


def run(args: argparse.Namespace) -> int:
    from zoo.data.sources import SPLITS
    from zoo.data.tfrecord import write_labels

    if args.shards < 1 or not 1 <= args.quality <= 100:
        raise ValueError("--shards must be at least 1 and --quality between 1 and 100")
    splits = (
        [args.split] if args.split else [s for s in SPLITS if _has_split(args.src, s)] or [None]
    )
    flags = beam_flags(args)
    sources = {split: _clips(args.src, split) for split in splits}
    out = Path(args.out)
    with staging_folder(out) as staging:
        written = _write_splits(args, sources, staging, flags)
        write_labels(staging, sources[splits[0]].class_names)
        skipped = {clip: why for split in written for clip, why in split.skipped.items()}
        (staging / SKIPPED_FILE).write_text(json.dumps(skipped, indent=2) + "\n")
        _publish(staging, out, written)
    _print_summary(out, written, skipped)
    return 0


def _has_split(src: str, split: str) -> bool:
    from zoo.data.sources import list_clips

    try:
        return len(list_clips(src, split)) > 0
    except FileNotFoundError:
        return False


def _clips(src: str, split: str | None):
    """The clips of one split (`None`: the whole source); FileNotFoundError when it has none."""
    from zoo.data.sources import list_clips

    clips = list_clips(src, split)
    if not len(clips):
        raise FileNotFoundError(f"{_where(src, split)}: no videos")
    return clips


def _where(src: str, split: str | None) -> str:
    return src + (f" split {split!r}" if split else "")


def _write_splits(
    args: argparse.Namespace, sources: dict, staging: Path, flags: list[str]
) -> list[_Written]:
    """Writes each split's shards into `staging` (`staging/<split>/` for a named split),
    in this process or, with `--runner`, as one Beam pipeline for all of them."""
    from zoo.data.tfrecord import write_shards

    jobs = [
        (clips, staging / split if split else staging, split or "clips")
        for split, clips in sources.items()
    ]
    settings = dict(
        num_shards=args.shards,
        quality=args.quality,
        shorter_side=args.shorter_side,
        on_error=args.on_error,
    )
    if args.runner:
        from zoo import beam

        results, _ = beam.write_shards(jobs, runner=args.runner, flags=flags, **settings)
    else:  # a generator: each split is checked by `_written` before the next is written
        results = (
            write_shards(
                clips, folder, prefix=prefix, show_progress=not args.no_progress, **settings
            )
            for clips, folder, prefix in jobs
        )
    return [
        _written(args.src, split, clips, prefix, *result)
        for (split, clips), (_, _, prefix), result in zip(
            sources.items(), jobs, results, strict=True
        )
    ]


def _written(
    src: str, split: str | None, clips, prefix: str, shards: list[Path], skipped: dict[str, str]
) -> _Written:
    if not shards:
        clip, reason = next(iter(skipped.items()))
        raise ValueError(
            f"{_where(src, split)}: none of its {len(clips)} clips could be read ({clip}: {reason})"
        )
    return _Written(split, prefix, shards, len(clips) - len(skipped), skipped)


def _publish(staging: Path, out: Path, written: list[_Written]) -> None:
    """Moves every file of `staging` into `out`, then deletes the shards of an earlier
    conversion that the new ones did not replace."""
    move_files(staging, out)
    for split in written:
        folder = out / split.split if split.split else out
        new = {path.name for path in split.shards}
        for old in folder.glob(f"{split.prefix}-*-of-*.tfrecord"):
            if old.name not in new:
                old.unlink()


def _print_summary(out: Path, written: list[_Written], skipped: dict[str, str]) -> None:
    """Clips and shards per split on stdout; the skipped clips, if any, on stderr."""
    for split in written:
        folder = out / split.split if split.split else out
        print(f"{folder}: {split.clips} clips in {len(split.shards)} shards")
    print(f"class names: {out / 'labels.txt'}")
    if not skipped:
        return
    print(
        f"skipped {len(skipped)} broken clips (listed in {out / SKIPPED_FILE}):",
        file=sys.stderr,
    )
    for clip, reason in list(skipped.items())[:SKIPS_SHOWN]:
        print(f"  {clip}: {reason}", file=sys.stderr)
    if len(skipped) > SKIPS_SHOWN:
        print(f"  ... and {len(skipped) - SKIPS_SHOWN} more", file=sys.stderr)
    sys.stderr.flush()

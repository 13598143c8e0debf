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
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

NAME = "convert"
SKIPPED_FILE = "skipped.json"
SKIPS_SHOWN = 5  # skipped clips printed at the end; skipped.json lists all of them


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


def run(args: argparse.Namespace) -> int:
    from zoo.data.sources import SPLITS
    from zoo.data.tfrecord import write_labels

    if args.shards < 1 or not 1 <= args.quality <= 100:
        raise ValueError("--shards must be at least 1 and --quality between 1 and 100")
    splits = (
        [args.split] if args.split else [s for s in SPLITS if _has_split(args.src, s)] or [None]
    )
    sources = {split: _clips(args.src, split) for split in splits}
    out = Path(args.out)
    with _staging_folder(out) as staging:
        written = [_write_split(args, split, clips, staging) for split, clips in sources.items()]
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


@contextlib.contextmanager
def _staging_folder(out: Path) -> Iterator[Path]:
    """A new temporary folder inside `out`, removed on exit with whatever is left in it.

    `out` is made if missing, and removed again if it is still empty then.
    """
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=out))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made and not any(out.iterdir()):
            out.rmdir()


def _write_split(args: argparse.Namespace, split: str | None, clips, staging: Path) -> _Written:
    """Writes one split's shards into `staging` (`staging/<split>/` for a named split)."""
    from zoo.data.tfrecord import write_shards

    prefix = split or "clips"
    shards, skipped = write_shards(
        clips,
        staging / split if split else staging,
        args.shards,
        prefix=prefix,
        quality=args.quality,
        shorter_side=args.shorter_side,
        on_error=args.on_error,
        show_progress=not args.no_progress,
    )
    if not shards:
        clip, reason = next(iter(skipped.items()))
        where = _where(args.src, split)
        raise ValueError(
            f"{where}: none of its {len(clips)} clips could be read ({clip}: {reason})"
        )
    return _Written(split, prefix, shards, len(clips) - len(skipped), skipped)


def _publish(staging: Path, out: Path, written: list[_Written]) -> None:
    """Moves every file of `staging` to the same place under `out` (renames, no copies),
    then deletes the shards of an earlier conversion that the new ones did not replace."""
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = out / file.relative_to(staging)
        target.parent.mkdir(exist_ok=True)
        os.replace(file, target)
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

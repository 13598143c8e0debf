"""`zoo scan DIR`: report, per video file, ok / unreadable / too short / odd, with the reason."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from zoo.data.errors import DecodeLimits

NAME = "scan"
SHOWN_IGNORED = 5  # names listed in the text line about ignored files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="folder (searched recursively) or one video file")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )
    parser.add_argument(
        "--min-frames",
        type=int,
        default=8,
        help="fewer decodable frames is 'too short' (default 8)",
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=DecodeLimits.max_counted_frames,
        help="most frames decoded to count one file; a longer one is 'unreadable' "
        f"(default {DecodeLimits.max_counted_frames})",
    )
    parser.add_argument("--workers", type=int, help="decoding threads (default: one per CPU)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--quiet", action="store_true", help="text report: list only the files that are not ok"
    )


def run(args: argparse.Namespace) -> int:
    """Exit code 0 when every file is ok, 1 when any is not."""
    from tqdm import tqdm

    from zoo.data.scan import find_files, scan, summary

    paths, ignored = find_files(args.dir)
    if not paths:
        found = f"; {ignored_line(ignored, Path(args.dir))}" if ignored else ""
        raise FileNotFoundError(f"{args.dir}: no video files found{found}")
    limits = DecodeLimits(max_counted_frames=args.max_frames)
    with tqdm(
        total=len(paths), desc="scanning", unit="file", file=sys.stderr, disable=args.no_progress
    ) as bar:
        results = list(scan(paths, args.min_frames, limits, args.workers, progress=bar.update))
    counts = summary(results)
    if args.json:
        files = [dataclasses.asdict(r) for r in results]
        report = {"summary": counts, "files": files, "ignored": [str(p) for p in ignored]}
        print(json.dumps(report, indent=1))
    else:
        for r in results:
            if args.quiet and r.status == "ok":
                continue
            detail = (
                r.reason
                if r.status != "ok"
                else f"{r.width}x{r.height}, {r.frames} frames, {r.fps:g} fps, {r.codec}"
            )
            note = f"; {r.note}" if r.note else ""
            print(f"{r.status:10s}  {r.path}  ({detail}{note})")
        if ignored:
            print(ignored_line(ignored, Path(args.dir)))
        print(", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0 if counts["ok"] == counts["files"] else 1


def ignored_line(ignored: list[Path], root: Path) -> str:
    """`"ignored 3 files that are not videos by extension: a.txt, b.json, c.md"`, names
    relative to `root`, the first `SHOWN_IGNORED` of them."""
    names = [str(p.relative_to(root)) for p in ignored[:SHOWN_IGNORED]]
    if len(ignored) > SHOWN_IGNORED:
        names.append(f"and {len(ignored) - SHOWN_IGNORED} more")
    what = "file that is not a video" if len(ignored) == 1 else "files that are not videos"
    return f"ignored {len(ignored)} {what} by extension: {', '.join(names)}"

"""`zoo scan DIR`: report, per video file, ok / unreadable / too short / odd, with the reason."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

NAME = "scan"


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
    parser.add_argument("--workers", type=int, help="decoding threads (default: one per CPU)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--quiet", action="store_true", help="text report: list only the files that are not ok"
    )


def run(args: argparse.Namespace) -> int:
    """Exit code 0 when every file is ok, 1 when any is not."""
    from tqdm import tqdm

    from zoo.data.scan import find_videos, scan, summary

    paths = find_videos(args.dir)
    if not paths:
        raise FileNotFoundError(f"{args.dir}: no video files found")
    with tqdm(
        total=len(paths), desc="scanning", unit="file", file=sys.stderr, disable=args.no_progress
    ) as bar:
        results = list(scan(paths, args.min_frames, workers=args.workers, progress=bar.update))
    counts = summary(results)
    if args.json:
        print(
            json.dumps(
                {"summary": counts, "files": [dataclasses.asdict(r) for r in results]}, indent=1
            )
        )
    else:
        for r in results:
            if args.quiet and r.status == "ok":
                continue
            detail = (
                r.reason
                if r.status != "ok"
                else f"{r.width}x{r.height}, {r.frames} frames, {r.fps:g} fps, {r.codec}"
            )
            print(f"{r.status:10s}  {r.path}  ({detail})")
        print(", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0 if counts["ok"] == counts["files"] else 1

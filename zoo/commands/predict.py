"""`zoo predict MODEL VIDEO... [--top-k K] [--clips N] [--json]`: top-k labels per video."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "predict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .keras file, a run folder, or a SavedModel folder")
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="video files to classify")
    parser.add_argument("--top-k", type=int, default=5, help="labels to show per video (default 5)")
    parser.add_argument(
        "--clips", type=int, default=1, help="evenly spaced clips to average per video (default 1)"
    )
    parser.add_argument("--labels", help="class names, one per line (default: the model's own)")
    parser.add_argument(
        "--frame-step", type=int, help="distance between sampled frames (default: the run's, or 2)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of text")


def run(args: argparse.Namespace) -> int:
    from zoo.data import VideoDecodeError
    from zoo.predict import load

    if args.top_k < 1 or args.clips < 1:
        raise ValueError("--top-k and --clips must be at least 1")
    classifier = load(args.model, labels=args.labels, frame_step=args.frame_step)
    results, failed = [], 0
    for video in args.videos:
        try:
            probabilities = classifier.classify_video(video, num_clips=args.clips)
        except VideoDecodeError as err:
            failed += 1
            print(f"zoo predict: error: {err}", file=sys.stderr, flush=True)
            results.append({"video": video, "error": err.reason})
            continue
        top = classifier.top_k(probabilities, args.top_k)
        results.append({"video": video, "top_k": [{"label": n, "score": s} for n, s in top]})
        if not args.json:
            print(
                f"{video}: " + ", ".join(f"{name} {score:.3f}" for name, score in top), flush=True
            )
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0

"""`zoo predict MODEL PATH... [--top-k K] [--clips N] [--json] [--out FILE.csv|FILE.json]`.

Top-k labels per video, for video files and every video under folders; for a
multi-label model (a run or export with thresholds), the labels over their
thresholds instead (and beside the top-k in `--json` and `--out`). A
broken video is reported on stderr and in its row, and the others go on
(`--on-error skip`, the default), or stops the command (`--on-error raise`).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

NAME = "predict"
OUT_FORMATS = (".csv", ".json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", help="a run folder, a .keras file, a SavedModel folder, a .tflite or an .onnx file"
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="video files, or folders to search (recursively) for videos by extension",
    )
    parser.add_argument(
        "--top-k",
        type=int,
        default=5,
        help="labels to show per video (default 5); a multi-label model shows those over "
        "their thresholds",
    )
    parser.add_argument(
        "--clips",
        type=int,
        help="evenly spaced clips to average per video (default: the export's, else 1)",
    )
    parser.add_argument("--labels", help="class names, one per line (default: the model's own)")
    parser.add_argument(
        "--frame-step",
        type=int,
        help="distance between sampled frames (default: the run's or the export's, else 2)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of text")
    parser.add_argument(
        "--out", help="also write one row per video to FILE.csv or FILE.json (replaced if there)"
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "raise"),
        default="skip",
        help="a broken video: report it and go on, or stop at it",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def find_inputs(paths: list[str]) -> list[Path]:
    """The files named, plus every video under the folders named, in the order given."""
    from zoo.data.scan import find_videos

    # A path that is not a folder is taken as a video, even a missing one: its row reports why.
    videos = [v for p in map(Path, paths) for v in (find_videos(p) if p.is_dir() else [p])]
    if not videos:
        raise ValueError(f"no video files in {', '.join(paths)}")
    return videos


def _say(line: str, file: TextIO) -> None:
    """Prints one line, flushed, without breaking the progress bar."""
    with tqdm.external_write_mode(file=file):
        print(line, file=file, flush=True)


def _csv_rows(results: list[dict[str, Any]], k: int, tagged: bool) -> list[list[str]]:
    """A header `video,label_1,score_1,...,label_k,score_k,error`, then one row per result.

    A multi-label model (`tagged`) adds a column `labels` before `error`: the
    labels over their thresholds, joined by `|` as in a manifest.
    """
    header = ["video"]
    for i in range(1, k + 1):
        header += [f"label_{i}", f"score_{i}"]
    extra = ["labels"] if tagged else []
    rows = [[*header, *extra, "error"]]
    for result in results:
        cells = [result["video"]]
        for top in result.get("top_k", []):
            cells += [top["label"], f"{top['score']:.6f}"]
        cells += [""] * (len(header) - len(cells))
        if tagged:
            cells.append("|".join(over["label"] for over in result.get("labels", [])))
        rows.append([*cells, result.get("error", "")])
    return rows


def write_results(results: list[dict[str, Any]], path: Path, k: int, tagged: bool) -> None:
    """Writes `results` (as `--json` prints them) to a `.csv` or `.json` file, atomically."""
    from zoo.atomic import atomic_output

    with atomic_output(path) as tmp, open(tmp, "w", newline="") as f:
        if path.suffix == ".csv":
            csv.writer(f).writerows(_csv_rows(results, k, tagged))
        else:
            f.write(json.dumps(results, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    from zoo.data import VideoDecodeError
    from zoo.predict import load

    if args.top_k < 1 or (args.clips is not None and args.clips < 1):
        raise ValueError("--top-k and --clips must be at least 1")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix not in OUT_FORMATS:
        raise ValueError(f"--out must end in {' or '.join(OUT_FORMATS)}, not {out.name!r}")
    videos = find_inputs(args.paths)
    classifier = load(args.model, labels=args.labels, frame_step=args.frame_step)
    tagged = classifier.thresholds is not None
    results, failed = [], []
    hide = args.no_progress or len(videos) < 2
    for video in tqdm(videos, desc="predict", unit="video", disable=hide, file=sys.stderr):
        try:
            probabilities = classifier.classify_video(video, num_clips=args.clips)
        except VideoDecodeError as err:
            if args.on_error == "raise":
                raise
            failed.append(str(video))
            _say(f"zoo predict: error: {err}", sys.stderr)
            results.append({"video": str(video), "error": err.reason})
            continue
        top = classifier.top_k(probabilities, args.top_k)
        result = {"video": str(video), "top_k": [{"label": n, "score": s} for n, s in top]}
        shown = top
        if tagged:  # a multi-label model answers with every label over its threshold
            shown = classifier.over_threshold(probabilities)
            result["labels"] = [{"label": n, "score": s} for n, s in shown]
        results.append(result)
        if not args.json:
            answer = ", ".join(f"{name} {score:.3f}" for name, score in shown)
            _say(f"{video}: {answer or 'no label over its threshold'}", sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))
    if out is not None:
        write_results(results, out, min(args.top_k, len(classifier.labels)), tagged)
    if failed:
        files = "file" if len(failed) == 1 else "files"
        print(f"zoo predict: skipped {len(failed)} {files}: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0

"""`zoo annotate MODEL VIDEO... [--window S] [--stride S] [--smoothing N] [--out DIR] [--truth CSV]`.

A timeline of labelled segments per video: `DIR/<video name>.json`, `.csv`
and `.png` (see `zoo.annotate`). With `--truth` (a CSV `video,start,end,label`,
as `digit_timelines`' `segments.csv`), also prints frame-level F1 and mAP at
temporal IoU 0.5 against it. A broken video is reported and skipped; the exit
code is then 1.
"""

from __future__ import annotations

import argparse
import sys

NAME = "annotate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        help="pretrained:NAME (e.g. pretrained:r2plus1d), a run folder, a .keras file, "
        "a SavedModel folder, a .tflite or an .onnx file",
    )
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="video files or folders")
    parser.add_argument("--window", type=float, default=2.0, help="window length, seconds")
    parser.add_argument("--stride", type=float, default=0.5, help="between window starts, seconds")
    parser.add_argument(
        "--smoothing", type=int, default=3, help="windows in the moving average of the scores"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="windows classified at once")
    parser.add_argument("--out", default="annotations", help="folder for the JSON, CSV and PNG")
    parser.add_argument("--truth", help="true segments, CSV video,start,end,label: prints scores")


def run(args: argparse.Namespace) -> int:
    from zoo import annotate, predict
    from zoo.commands.predict import find_inputs
    from zoo.data import VideoDecodeError
    from zoo.timeline import frame_f1, segment_map

    if min(args.window, args.stride) <= 0 or min(args.smoothing, args.batch_size) < 1:
        raise ValueError("--window and --stride must be positive, --smoothing and --batch-size ≥ 1")
    truth = annotate.read_truth(args.truth) if args.truth else None
    videos = find_inputs(args.videos)
    classifier = predict.load(args.model)
    predicted, failed, names = {}, [], set()
    for video in videos:
        try:
            timeline = annotate.annotate(
                classifier, video, args.window, args.stride, args.smoothing, args.batch_size
            )
        except VideoDecodeError as err:
            print(f"zoo annotate: error: {err}", file=sys.stderr, flush=True)
            failed.append(str(video))
            continue
        name = video.stem if video.stem not in names else f"{video.stem}_{len(names)}"
        names.add(name)
        key = str(video.resolve())
        predicted[key] = timeline.segments
        mine = truth.get(key) if truth else None
        paths = annotate.write(timeline, args.out, name, mine)
        print(
            f"{video}: {len(timeline.segments)} segments over {timeline.duration:.1f} s -> "
            f"{', '.join(p.name for p in paths)} in {args.out}",
            flush=True,
        )
    if truth is not None and predicted:
        scored = {video: truth.get(video, []) for video in predicted}
        missing = [video for video, segments in scored.items() if not segments]
        if missing:
            raise ValueError(f"{args.truth}: no true segments for {', '.join(missing)}")
        print(
            f"frame F1 {frame_f1(scored, predicted):.3f}, "
            f"mAP@0.5 {segment_map(scored, predicted, 0.5):.3f} over {len(scored)} videos"
        )
    if failed:
        print(f"zoo annotate: skipped {len(failed)}: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0

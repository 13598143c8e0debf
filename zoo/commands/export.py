"""`zoo export RUN --format saved_model|litert|onnx [--out PATH] [--clips N]`: serving artefacts.

Every export carries the run's clip settings (clip length, frame step, size)
and the number of clips to average per video, so it samples like the run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
FORMATS = ("saved_model", "litert", "onnx")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a run folder (model.keras + labels.txt) or a .keras file")
    parser.add_argument("--format", choices=FORMATS, default="saved_model", help="what to write")
    parser.add_argument(
        "--out",
        help="where to write (default: beside the model: saved_model/, model.tflite, "
        "model_int8.tflite or model.onnx); an existing export there is replaced",
    )
    parser.add_argument(
        "--labels", help="class names, one per line (default: the run's labels.txt)"
    )
    parser.add_argument(
        "--top-k", type=int, default=5, help="labels the SavedModel returns per clip (default 5)"
    )
    parser.add_argument(
        "--clips", type=int, default=1, help="evenly spaced clips a video's answer averages"
    )
    parser.add_argument(
        "--frame-step", type=int, help="distance between sampled frames (default: the run's, or 2)"
    )
    parser.add_argument(
        "--quantize",
        choices=("none", "int8"),
        default="none",
        help="LiteRT only: int8 post-training",
    )
    parser.add_argument(
        "--data",
        help="LiteRT int8 only: videos to calibrate on (folder or manifest; default: the run's data)",
    )
    parser.add_argument(
        "--calibration-clips", type=int, default=64, help="LiteRT int8 only (default 64)"
    )


def _default_out(model_path: Path, fmt: str, quantize: str) -> Path:
    folder = model_path if model_path.is_dir() else model_path.parent
    name = {"saved_model": "saved_model", "litert": "model.tflite", "onnx": "model.onnx"}[fmt]
    return folder / ("model_int8.tflite" if quantize == "int8" else name)


def run(args: argparse.Namespace) -> int:
    from zoo import export
    from zoo.export.clip import ClipSettings
    from zoo.export.signature import model_clip_shape
    from zoo.predict import load_keras
    from zoo.training.run import RunDir
    from zoo.training.tagging import read_thresholds

    if args.quantize != "none" and args.format != "litert":
        raise ValueError("--quantize applies to --format litert only")
    source = Path(args.run)
    model, labels, run_step = load_keras(source, args.labels)
    clip = ClipSettings(*model_clip_shape(model), args.frame_step or run_step, args.clips)
    out = Path(args.out) if args.out else _default_out(source, args.format, args.quantize)
    tuned = RunDir(source).thresholds if source.is_dir() else None
    thresholds = read_thresholds(tuned, labels) if tuned and tuned.exists() else None
    if thresholds is not None and args.format != "saved_model":
        raise ValueError(
            f"{source}: a multi-label run exports as --format saved_model only (it carries the "
            "thresholds)"
        )
    if args.format == "saved_model":
        export.saved_model(model, out, labels, top_k=args.top_k, clip=clip, thresholds=thresholds)
    elif args.format == "onnx":
        export.onnx(model, out, labels, clip)
    else:
        clips = None
        if args.quantize == "int8":
            data = args.data or (RunDir(source).read_config().data if source.is_dir() else None)
            if data is None:
                raise ValueError("--quantize int8 needs --data (videos to calibrate on)")
            clips = export.calibration_clips(model, data, clip.frame_step, args.calibration_clips)
        export.litert(model, out, args.quantize, clips, labels=labels, clip=clip)
    print(f"wrote {out}")
    return 0

"""Serving latency of one trained model in every runtime, and what int8 costs in accuracy.

    python benchmarks/serve.py [--model cnn_lstm] [--repeats 30]

Trains a model briefly on moving_digits (direction), exports it as SavedModel,
LiteRT float32, LiteRT int8 and ONNX, then times batch-1 and batch-8 calls of
each against Keras `predict_on_batch` in the same process (median of
`--repeats` calls after warm-up). The SavedModel gets uint8 frames at the
model's size (its in-graph preprocessing then only scales them); the others
get float32 clips in [0, 1].
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo.export  # noqa: E402
import zoo.models  # noqa: E402
from zoo.data import video_dataset  # noqa: E402
from zoo.datasets import make  # noqa: E402
from zoo.export.runtimes import LiteRTModel, OnnxModel  # noqa: E402

CLIP = {"clip_len": 8, "frame_step": 2, "size": 64}


def median_ms(call: Callable[[], object], repeats: int) -> float:
    """Median wall time of `call()` in milliseconds, after two warm-up calls."""
    call(), call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def train(model_name: str, data: Path, epochs: int) -> tuple[keras.Model, list[str]]:
    keras.utils.set_random_seed(0)
    ds = video_dataset(data, split="train", batch_size=16, shuffle=True, cache=True, **CLIP)
    model = zoo.models.build(
        model_name,
        len(ds.class_names),
        input_shape=(CLIP["clip_len"], CLIP["size"], CLIP["size"], 3),
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(ds, epochs=epochs, verbose=0)
    return model, ds.class_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn_lstm")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="zoo-serve-"))
    data = make("moving_digits", work / "data", videos_per_split=(192, 16, 96), show_progress=False)
    model, labels = train(args.model, data, args.epochs)
    saved = zoo.export.saved_model(model, work / "saved_model", labels)
    calibration = zoo.export.calibration_clips(model, data, CLIP["frame_step"], count=64)
    runtimes = {
        "LiteRT float32": LiteRTModel(zoo.export.litert(model, work / "model.tflite")),
        "LiteRT int8": LiteRTModel(
            zoo.export.litert(model, work / "int8.tflite", "int8", calibration)
        ),
        "onnxruntime": OnnxModel(zoo.export.onnx(model, work / "model.onnx", labels)),
    }
    serve = tf.saved_model.load(str(saved)).signatures["serving_default"]

    rows = []
    rng = np.random.default_rng(0)
    for batch in (1, 8):
        frames = rng.integers(
            0, 256, (batch, CLIP["clip_len"], CLIP["size"], CLIP["size"], 3), np.uint8
        )
        clips = frames.astype(np.float32) / 255
        uint8 = tf.constant(frames)
        calls = {
            "Keras predict_on_batch": lambda c=clips: model.predict_on_batch(c),
            "SavedModel": lambda f=uint8: serve(frames=f)["probabilities"].numpy(),
            **{name: (lambda c=clips, r=runtime: r(c)) for name, runtime in runtimes.items()},
        }
        base = median_ms(calls["Keras predict_on_batch"], args.repeats)
        for name, call in calls.items():
            ms = base if name.startswith("Keras") else median_ms(call, args.repeats)
            rows.append((name, batch, ms, base / ms))

    print(
        f"\n{args.model}, input (B, {CLIP['clip_len']}, {CLIP['size']}, {CLIP['size']}, 3), "
        f"{os.cpu_count()} CPU cores, median of {args.repeats} calls"
    )
    print(f"{'runtime':24s} {'batch':>5s} {'ms':>8s} {'speed vs Keras':>15s}")
    for name, batch, ms, ratio in rows:
        print(f"{name:24s} {batch:5d} {ms:8.2f} {ratio:14.2f}x")

    test = video_dataset(data, split="test", batch_size=96, **CLIP)
    clips, truth = next(test.as_numpy_iterator())
    float_accuracy = np.mean(model.predict(clips, verbose=0).argmax(1) == truth)
    int8_accuracy = np.mean(runtimes["LiteRT int8"](clips).argmax(1) == truth)
    sizes = {p.name: p.stat().st_size / 1e6 for p in (work / "model.tflite", work / "int8.tflite")}
    print(
        f"\ntest accuracy ({len(truth)} videos): Keras float32 {float_accuracy:.3f}, "
        f"LiteRT int8 {int8_accuracy:.3f}, drop {float_accuracy - int8_accuracy:+.3f}"
    )
    print(
        f"LiteRT file size: float32 {sizes['model.tflite']:.2f} MB, int8 {sizes['int8.tflite']:.2f} MB"
    )


if __name__ == "__main__":
    main()

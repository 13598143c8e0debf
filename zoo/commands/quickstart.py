"""`zoo quickstart`: the whole job once, on built-in data, in a few minutes on a CPU.

make data -> train cnn_lstm on motion direction -> evaluate on the test split ->
export a SavedModel -> predict the label of one test video file from the export.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

NAME = "quickstart"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/quickstart", help="where the run goes")
    parser.add_argument("--model", default="cnn_lstm", help="a name from `zoo models`")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def run(args: argparse.Namespace) -> int:
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo import datasets, export, models
    from zoo.data import read_video, samplers, video_dataset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    clip = dict(clip_len=8, frame_step=2, size=64)

    t = _step("1/5 making the built-in data set moving_digits (direction labels)")
    data_dir = datasets.make("moving_digits")
    manifest = data_dir / "manifest.csv"
    timings["data"] = time.perf_counter() - t
    print(f"data: {data_dir}")

    t = _step(f"2/5 training {args.model}")
    keras.utils.set_random_seed(args.seed)
    train = video_dataset(
        manifest, split="train", shuffle=True, batch_size=16, seed=args.seed, **clip
    )
    val = video_dataset(manifest, split="val", batch_size=32, **clip)
    labels = train.class_names
    model = models.build(args.model, len(labels), input_shape=(clip["clip_len"], 64, 64, 3))
    model.compile(
        keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(train, validation_data=val, epochs=args.epochs, verbose=2)
    model_path = out / "model.keras"
    model.save(model_path)
    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    timings["train"] = time.perf_counter() - t

    t = _step("3/5 evaluating on the test split")
    test = video_dataset(manifest, split="test", batch_size=32, **clip)
    _, accuracy = model.evaluate(test, verbose=0)
    timings["evaluate"] = time.perf_counter() - t
    print(
        f"test accuracy: {accuracy:.1%} on {test.num_videos} videos (chance: {1 / len(labels):.0%})"
    )

    t = _step("4/5 exporting a SavedModel")
    export_path = export.saved_model(model, out / "saved_model", labels)
    timings["export"] = time.perf_counter() - t
    print(f"SavedModel: {export_path}")

    t = _step("5/5 predicting one test video from its file, with the SavedModel")
    with open(manifest, newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["split"] == "test")
    video_path = data_dir / row["path"]
    video = read_video(
        video_path, lambda n: samplers.center_clip(n, clip["clip_len"], clip["frame_step"])
    )
    served = tf.saved_model.load(str(export_path)).signatures["serving_default"]
    result = served(frames=tf.constant(video.frames[None]))
    top_label = result["top_k_labels"][0, 0].numpy().decode()
    top_score = float(result["top_k_scores"][0, 0])
    timings["predict"] = time.perf_counter() - t
    print(f"{video_path}: predicted {top_label!r} ({top_score:.1%}), true {row['label']!r}")

    print("\n== done")
    print(f"run folder:  {out.resolve()}")
    print(f"model:       {model_path}")
    print(f"SavedModel:  {export_path}")
    print(f"test accuracy: {accuracy:.1%}")
    print(
        "timings: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
        + f", total {sum(timings.values()):.1f}s"
    )
    return 0 if np.isfinite(accuracy) else 1

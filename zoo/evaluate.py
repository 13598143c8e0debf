"""`evaluate(run, data)`: test a trained run with the multi-clip x multi-crop protocol.

    from zoo.evaluate import evaluate
    metrics = evaluate("runs/first", split="test")

Every test video is seen as `num_clips` clips evenly spaced in time times
`num_crops` spatial crops; the model's probabilities are averaged over these
views. Writes into RUN/eval/: metrics.json, report.txt, confusion_matrix.json,
confusion_matrix.png and mistakes.png.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import models
from zoo.data import tfrecord
from zoo.data.errors import say_skipped
from zoo.data.pipeline import raise_decode_errors
from zoo.data.sources import ClipList, from_csv, list_clips, splits_of
from zoo.training import tagging
from zoo.training.data import multi_view_dataset, resolve_source
from zoo.training.metrics import classification_metrics, format_report
from zoo.training.plots import plot_confusion, plot_mistakes
from zoo.training.run import RunDir


def predict_views(
    model: keras.Model, ds: tf.data.Dataset, max_mistakes: int, verbose: int = 1
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, int, int, float]]]:
    """Averages `model`'s probabilities over the views of every video.

    Args:
        model: maps `(B, T, H, W, 3)` to probabilities `(B, C)` (or per-label scores).
        ds: batches of `(float32 (B, V, T, H, W, 3), int labels (B,))`, or
            multi-hot labels `(B, C)` for a multi-label run.
        max_mistakes: how many misclassified clips to keep for the gallery
            (single labels only).

    Returns:
        `(labels (N,) or (N, C), probabilities (N, C), mistakes)`; each mistake
        is `(middle view (T, H, W, 3), true, predicted, probability of predicted)`.
    """
    labels, probs, mistakes = [], [], []
    batches = int(ds.cardinality())
    progress = keras.utils.Progbar(
        batches if batches > 0 else None, verbose=verbose, unit_name="batch"
    )
    for step, (views, y) in enumerate(ds.as_numpy_iterator(), start=1):
        batch, num_views = views.shape[:2]
        flat = views.reshape(batch * num_views, *views.shape[2:])
        p = np.asarray(model.predict_on_batch(flat), np.float32).reshape(batch, num_views, -1)
        p = p.mean(axis=1)
        wrong = np.flatnonzero(p.argmax(axis=1) != y) if y.ndim == 1 else []
        for i in wrong[: max_mistakes - len(mistakes)]:
            predicted = int(p[i].argmax())
            mistakes.append(
                (views[i, num_views // 2], int(y[i]), predicted, float(p[i, predicted]))
            )
        labels.append(y)
        probs.append(p)
        progress.update(step)
    if not labels:  # every video was skipped
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), mistakes
    return np.concatenate(labels), np.concatenate(probs), mistakes


def evaluation_set(
    run: RunDir,
    data: str | os.PathLike | None,
    split: str,
    format: str | None = None,
    fold: int | None = None,
    on_error: str = "raise",
) -> tuple[Path | ClipList, str | None, str]:
    """What to evaluate: `(TFRecord shards or the videos, the split evaluated or None,
    a description)`.

    - the `split` of `data` (default: the run's data) when it has one;
    - without `data`, on a source that lacks `split`: the videos held out for
      validation during training (RUN/splits.csv), when there are any;
    - a source with no splits at all: every video in it.

    `format` and `fold` say how to read a public data set's lists (default:
    the run's, for the run's data; detected and fold 1 for other `data`).
    Listed videos missing on disk are refused, or skipped and reported with
    `on_error="skip"`.
    """
    config = run.read_config()
    source = resolve_source(data if data is not None else config.data)
    layout = dict(
        format=format if format is not None else (config.format if data is None else None),
        fold=fold if fold is not None else (config.fold if data is None else 1),
    )
    reading = dict(on_error=on_error, multi_label=config.multi_label, **layout)
    if tfrecord.list_shards(source):
        return source, split, f"the {split} split of {source}"
    splits = splits_of(source, **layout)
    if split in splits:
        clips = list_clips(source, split, **reading)
        return clips, split, f"the {split} split of {source}"
    if data is None and run.splits.exists():
        held_out = from_csv(
            run.splits, "val", class_names=run.read_labels(), multi_label=config.multi_label
        )
        return held_out, None, f"the videos of {source} held out for validation ({run.splits})"
    if not splits:
        return (
            list_clips(source, None, **reading),
            None,
            f"every video of {source}",
        )
    raise ValueError(f"{source}: has no {split!r} split (it has {', '.join(splits)})")


def evaluate(
    run: str | os.PathLike,
    data: str | os.PathLike | None = None,
    split: str = "test",
    num_clips: int = 3,
    num_crops: int = 3,
    batch_size: int = 8,
    max_mistakes: int = 12,
    verbose: int = 1,
    on_error: str = "raise",
    format: str | None = None,
    fold: int | None = None,
) -> dict[str, Any]:
    """Evaluates the best model of `run` on `split` of `data` (default: the run's training data).

    Which videos are evaluated when `data` lacks `split` is `evaluation_set`'s
    rule, and `format`/`fold` read a public data set's lists (default: the
    run's). With `on_error="skip"`, broken videos and listed videos missing
    on disk are left out, counted in `skipped` and listed in
    RUN/eval/skipped.json.

    A multi-label run (`zoo train --multi-label`) is measured by
    `zoo.training.tagging.tagging_metrics` (mAP, per-label F1 at the run's
    tuned thresholds) instead, and writes only metrics.json and report.txt.

    Returns:
        The metrics of `zoo.training.metrics.classification_metrics` (or of
        `tagging_metrics` for a multi-label run), plus
        `split`, `data` (what was evaluated), `num_clips`, `num_crops`, `views`
        (clips x crops) and `skipped`.
    """
    run_dir = RunDir(Path(run))
    config = run_dir.read_config()
    class_names = run_dir.read_labels()
    source, chosen, described = evaluation_set(run_dir, data, split, format, fold, on_error)
    # A ClipList is read as it is; the split only picks the shards of a TFRecord folder.
    ds = multi_view_dataset(source, config, chosen, num_clips, num_crops, batch_size, on_error)
    if list(ds.class_names) != class_names:
        raise ValueError(
            f"{described}: classes {list(ds.class_names)} differ from the run's "
            f"labels.txt {class_names}"
        )
    model = models.load(run_dir.model)
    views = num_clips * num_crops
    print(
        f"evaluating {run_dir.model} on {ds.num_videos} videos ({described}), {views} views "
        f"each ({num_clips} clips x {num_crops} crops)",
        flush=True,
    )
    out = run_dir.eval
    out.mkdir(parents=True, exist_ok=True)
    with raise_decode_errors():
        y_true, probs, mistakes = predict_views(model, ds, max_mistakes, verbose)
    skipped = dict(ds.skipped.skipped)
    (out / "skipped.json").unlink(missing_ok=True)
    if skipped:
        (out / "skipped.json").write_text(json.dumps(skipped, indent=2) + "\n")
        say_skipped(len(skipped), out / "skipped.json")
    if not len(y_true):
        raise ValueError(f"{described}: no video could be decoded")
    protocol = dict(
        split=chosen,
        data=described,
        num_clips=num_clips,
        num_crops=num_crops,
        views=views,
        skipped=len(skipped),
    )
    if config.multi_label:
        thresholds = tagging.read_thresholds(run_dir.thresholds, class_names)
        metrics = {**tagging.tagging_metrics(probs, y_true, thresholds, class_names), **protocol}
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        report = tagging.format_report(
            metrics,
            f"{run_dir.root} on {described}: {len(y_true)} videos, {views} views each, averaged",
        )
        (out / "report.txt").write_text(report)
        print(report, end="", flush=True)
        return metrics

    metrics = classification_metrics(y_true, probs, class_names)
    metrics.update(protocol)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "confusion_matrix.json").write_text(
        json.dumps(
            {
                "class_names": class_names,
                "rows": "true",
                "columns": "predicted",
                "matrix": metrics["confusion_matrix"],
            },
            indent=2,
        )
        + "\n"
    )
    plot_confusion(metrics["confusion_matrix"], class_names, out / "confusion_matrix.png")
    plot_mistakes(
        np.array([m[0] for m in mistakes]),
        [f"true {class_names[t]}, predicted {class_names[p]} ({s:.2f})" for _, t, p, s in mistakes],
        out / "mistakes.png",
    )
    report = format_report(
        metrics,
        f"{run_dir.root} on {described}: {len(y_true)} videos"
        + (f" ({len(skipped)} broken ones skipped)" if skipped else "")
        + f", {views} views each ({num_clips} clips x {num_crops} crops), averaged",
    )
    (out / "report.txt").write_text(report)
    print(report, end="", flush=True)
    return metrics

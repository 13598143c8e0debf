"""Data without splits, as UCF101 unpacks: `ROOT/<label>/<video>` and manifests without `split`.

`zoo train` holds out a stratified, seeded validation split and writes it into
the run; `zoo evaluate RUN` then evaluates exactly those videos, and
`zoo evaluate RUN --data ROOT` every video.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from run_training import TINY_RUN

from zoo.data.sources import from_csv, from_folder
from zoo.evaluate import evaluate
from zoo.train import train


@pytest.fixture(scope="module")
def flat_run(tiny_digits, tmp_path_factory) -> tuple[Path, Path]:
    """A flat copy of the 40 train and val videos of `tiny_digits`, and a 1-epoch run on it."""
    root = tmp_path_factory.mktemp("flat") / "videos"
    for video in sorted(tiny_digits.glob("[tv][ra]*/*/*.mp4")):
        (root / video.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(video, root / video.parent.name / video.name)
    run = train(
        "cnn_lstm", root, root.parent / "run", epochs=1, verbose=0, val_fraction=0.25, **TINY_RUN
    )
    return root, run


def test_train_holds_out_a_stratified_validation_split_and_records_it(flat_run):
    root, run = flat_run
    every = from_folder(root)
    held_out = from_csv(run / "splits.csv", "val", class_names=every.class_names)
    assert len(every) == 40 and 6 <= len(held_out) <= 14  # about 25 %, in whole folds
    assert (
        sorted(held_out.labels) == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3] or len(set(held_out.labels)) == 4
    )
    assert set(held_out.paths) <= set(every.paths)


def test_evaluate_without_data_takes_the_held_out_videos_and_with_data_every_video(flat_run):
    root, run = flat_run
    held_out = evaluate(run, num_clips=1, num_crops=1, verbose=0)
    expected = len(from_csv(run / "splits.csv", "val", class_names=from_folder(root).class_names))
    assert held_out["num_examples"] == expected and "held out for validation" in held_out["data"]
    every = evaluate(run, data=root, num_clips=1, num_crops=1, verbose=0)
    assert every["num_examples"] == 40 and every["data"] == f"every video of {root}"


def test_a_manifest_without_split_column_evaluates_every_video(flat_run, tmp_path):
    root, run = flat_run
    manifest = tmp_path / "list.csv"
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label"])
        writer.writerows([video, video.parent.name] for video in sorted(root.glob("*/*.mp4")))
    metrics = evaluate(run, data=manifest, num_clips=1, num_crops=1, verbose=0)
    assert metrics["num_examples"] == 40

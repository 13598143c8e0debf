"""Data without splits, as UCF101 unpacks: `ROOT/<label>/<video>` and manifests without `split`.

`zoo train` holds out a stratified, seeded validation split and writes it into
the run; `zoo evaluate RUN` then evaluates exactly those videos, and
`zoo evaluate RUN --data ROOT` every video.
"""

from __future__ import annotations

import csv
import json
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


def test_zoo_train_and_evaluate_on_a_ucf101_tree_with_missing_videos(tiny_digits, tmp_path, capsys):
    """A UCF101 copy (`UCF-101/<Class>/v_<Class>_gGG_cCC.avi` and `ucfTrainTestlist/`): fold 1
    tests group 1; a listed video missing on disk is skipped and listed in the run; the
    validation split holds out whole groups; `zoo evaluate RUN` evaluates the fold's test list."""
    from zoo.cli import main

    root, lists = tmp_path / "UCF-101", tmp_path / "ucfTrainTestlist"
    lists.mkdir()
    videos = sorted(tiny_digits.glob("[tv][ra]*/*/*.mp4"))  # 10 per class
    classes = sorted({video.parent.name for video in videos})
    train, test = [], []
    for i, name in enumerate(classes, 1):
        for n, video in enumerate(v for v in videos if v.parent.name == name):
            group, clip = divmod(n, 2)
            rel = f"{name}/v_{name}_g{group + 1:02d}_c{clip + 1:02d}.avi"  # H.264 in .mp4 bytes
            (root / name).mkdir(parents=True, exist_ok=True)
            shutil.copy(video, root / rel)
            (test if group == 0 else train).append(f"{rel} {i}\n")
    (lists / "classInd.txt").write_text("".join(f"{i} {c}\n" for i, c in enumerate(classes, 1)))
    (lists / "trainlist01.txt").write_text("".join(train))
    (lists / "testlist01.txt").write_text("".join(line.split()[0] + "\n" for line in test))
    gone = root / classes[0] / f"v_{classes[0]}_g02_c01.avi"
    gone.unlink()

    run = tmp_path / "run"
    flags = ["--batch-size", "4", "--clip-len", "4", "--size", "32", "--epochs", "1"]
    options = ["--model-options", '{"width": 8}', "--val-fraction", "0.25"]
    assert (
        main(
            ["train", "--model", "cnn_lstm", "--data", str(root), "--out", str(run)]
            + flags
            + options
        )
        == 0
    )
    assert json.loads((run / "skipped.json").read_text()) == {
        "train": {str(gone): "listed, but not on disk"}
    }
    held_out = set(from_csv(run / "splits.csv", "val", class_names=classes).paths)
    partners = {
        p.replace("_c01.", "_c02.") if "_c01." in p else p.replace("_c02.", "_c01.")
        for p in held_out
    }
    assert held_out and partners - {str(gone)} <= held_out  # whole groups only

    assert main(["evaluate", str(run), "--clips", "1", "--crops", "1"]) == 0
    metrics = json.loads((run / "eval" / "metrics.json").read_text())
    assert metrics["num_examples"] == len(test) == 8 and metrics["split"] == "test"

    lost = root / classes[1] / f"v_{classes[1]}_g01_c02.avi"  # a test video
    lost.unlink()
    again = ["evaluate", str(run), "--data", str(root), "--format", "ucf101", "--fold", "1"]
    assert main([*again, "--on-error", "raise"]) == 2
    assert "testlist01.txt: 1 of the 8 listed videos are not on disk" in capsys.readouterr().err
    assert main([*again, "--clips", "1", "--crops", "1"]) == 0
    metrics = json.loads((run / "eval" / "metrics.json").read_text())
    assert metrics["num_examples"] == 7 and metrics["skipped"] == 1
    assert json.loads((run / "eval" / "skipped.json").read_text()) == {
        str(lost): "listed, but not on disk"
    }

"""Multi-label tagging: the `moving_digits_tags` set, `zoo train --multi-label`, thresholds,
mAP / F1, and a SavedModel that answers with the labels over threshold (served without zoo).

Thresholds stated: on the test split of a small 3-tag set (1-2 digits per clip, so each
tag is on in about half of the clips: random scores give an mAP near 0.5), a tiny
cnn_lstm trained for 10 epochs reaches a test mAP of at least 0.65 and a macro F1 of at
least 0.55 at the thresholds tuned on validation.
"""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest
from built_sets import file_digests, manifest_rows
from export_tiny import serve_without_zoo

from zoo import cli
from zoo.data import video_dataset
from zoo.data.sources import from_csv
from zoo.datasets import make
from zoo.training import tagging

# 3 tags, 1-2 digits per clip, 32x32: a tiny model learns it in seconds.
TAGS_DATA = dict(
    videos_per_split=(192, 48, 64),
    num_tags=3,
    max_digits=2,
    canvas=32,
    digit_size=14,
    speed=(0.5, 0.7),
)
FLAGS = ["--clip-len", "4", "--size", "32", "--batch-size", "8", "--model-options",
         '{"width": 8}', "--no-augment", "--lr", "3e-3", "--label-smoothing", "0"]  # fmt: skip
MIN_TEST_MAP, MIN_TEST_MACRO_F1 = 0.65, 0.55


@pytest.fixture(scope="module")
def tags_dir(tmp_path_factory):
    return make("moving_digits_tags", tmp_path_factory.mktemp("tags") / "d", False, **TAGS_DATA)


@pytest.fixture(scope="module")
def tags_run(tags_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "tags"
    argv = ["train", "--model", "cnn_lstm", "--data", str(tags_dir / "manifest.csv")]
    assert cli.main([*argv, "--out", str(run), "--multi-label", "--epochs", "10", *FLAGS]) == 0
    return run


def test_tags_set_is_deterministic_and_holds_several_labels_per_clip(tmp_path):
    small = dict(TAGS_DATA, videos_per_split=(6, 2, 2))
    one = make("moving_digits_tags", tmp_path / "one", False, **small)
    two = make("moving_digits_tags", tmp_path / "two", False, **small)
    assert file_digests(one) == file_digests(two)
    rows = manifest_rows(one)
    tags = [row["label"].split("|") for row in rows]
    assert {n for t in tags for n in t} <= {"zero", "one", "two"}
    assert any(len(t) == 2 for t in tags) and all(1 <= len(t) <= 2 for t in tags)
    assert all(t == sorted(t) and len(set(t)) == len(t) for t in tags)
    assert all(len(r["digits"].split(";")) == len(t) for r, t in zip(rows, tags, strict=True))


def test_pipeline_gives_multi_hot_labels(tags_dir):
    ds = video_dataset(tags_dir / "manifest.csv", 4, 2, 32, split="val", batch_size=48,
                       multi_label=True)  # fmt: skip
    _, labels = next(iter(ds))
    assert labels.dtype == "float32" and labels.shape == (48, 3)
    rows = [r for r in manifest_rows(tags_dir) if r["split"] == "val"]
    expected = [[float(n in r["label"].split("|")) for n in ds.class_names] for r in rows]
    np.testing.assert_array_equal(labels.numpy(), expected)


def test_single_label_manifest_reads_as_one_hot_and_unknown_labels_are_refused(tags_dir, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,label\n{tags_dir}/val/val_00000.mp4,cat\n")
    clips = from_csv(manifest, multi_label=True)
    assert clips.tags == [(0,)] and clips.multi_hot().tolist() == [[1.0]]
    manifest.write_text(f"path,label\n{tags_dir}/val/val_00000.mp4,cat|dog\n")
    with pytest.raises(ValueError, match="label 'dog' is not one of the classes"):
        from_csv(manifest, class_names=["cat"], multi_label=True)


def test_multi_label_errors_are_one_line(tags_dir, tmp_path, capsys):
    argv = ["train", "--model", "cnn_lstm", "--data", str(tags_dir), "--out", str(tmp_path)]
    assert cli.main([*argv, "--multi-label", "--class-weight", "balanced"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not with --multi-label" in err


def test_run_tunes_thresholds_and_reaches_the_stated_map(tags_run, tags_dir):
    config = json.loads((tags_run / "config.json").read_text())
    assert config["multi_label"] is True and config["class_names"] == ["one", "two", "zero"]
    thresholds = tagging.read_thresholds(tags_run / "thresholds.json", config["class_names"])
    assert ((0 < thresholds) & (thresholds < 1)).all()
    model = keras.saving.load_model(tags_run / "model.keras")
    test = video_dataset(tags_dir / "manifest.csv", 4, 2, 32, split="test", batch_size=32,
                         multi_label=True)  # fmt: skip
    scores, targets = tagging.collect(model, test)
    assert not np.allclose(scores.sum(axis=1), 1.0)  # sigmoid scores, not a softmax
    found = tagging.tagging_metrics(scores, targets, thresholds, config["class_names"])
    print(f"test mAP {found['map']:.3f}, macro F1 {found['macro_f1']:.3f}")
    assert found["map"] >= MIN_TEST_MAP and found["macro_f1"] >= MIN_TEST_MACRO_F1


def test_evaluate_measures_a_multi_label_run_by_map_and_f1(tags_run, tags_dir, capsys):
    """`zoo evaluate` on a multi-label run: tagging metrics at the run's thresholds over the
    averaged views of every test video, not single-label accuracy."""
    argv = ["evaluate", str(tags_run), "--data", str(tags_dir / "manifest.csv"), "--clips", "2"]
    assert cli.main([*argv, "--crops", "1"]) == 0
    metrics = json.loads((tags_run / "eval" / "metrics.json").read_text())
    assert metrics["clips"] == 64 and metrics["views"] == 2 and metrics["split"] == "test"
    assert metrics["map"] >= MIN_TEST_MAP and metrics["macro_f1"] >= MIN_TEST_MACRO_F1
    assert sorted(metrics["per_label"]) == ["one", "two", "zero"]
    assert "mAP" in capsys.readouterr().out


def test_thresholds_and_metrics_on_known_scores():
    targets = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], np.float32)
    scores = np.array([[0.9, 0.2], [0.6, 0.8], [0.3, 0.7], [0.1, 0.4]], np.float32)
    thresholds = tagging.tune_thresholds(scores, targets)
    np.testing.assert_allclose(thresholds, [0.45, 0.55])  # halfway into the separating gap
    found = tagging.tagging_metrics(scores, targets, thresholds, ["a", "b"])
    assert found["map"] == 1.0 and found["macro_f1"] == 1.0 and found["exact_match"] == 1.0


def test_saved_model_returns_labels_over_threshold_without_zoo(tags_run, tmp_path):
    out = tmp_path / "saved"
    assert cli.main(["export", str(tags_run), "--out", str(out), "--top-k", "2"]) == 0
    labels = (tags_run / "labels.txt").read_text().split()
    thresholds = tagging.read_thresholds(out / "assets.extra" / "thresholds.json", labels)
    frames = {"clips": np.random.default_rng(0).integers(0, 256, (5, 4, 40, 48, 3), np.uint8)}
    frames["video"] = frames["clips"].reshape(20, 40, 48, 3)
    served = serve_without_zoo(out, "serving_default", {"clips": frames["clips"]}, tmp_path)
    scores, over = served["clips/probabilities"], served["clips/over_threshold"]
    assert scores.shape == over.shape == (5, 3) and over.dtype == bool
    np.testing.assert_array_equal(over, scores >= thresholds)
    names = served["clips/labels_over_threshold"]
    expected = np.where(over, np.array(labels, bytes), b"")
    np.testing.assert_array_equal(names, expected)
    video = serve_without_zoo(out, "serving_video", {"video": frames["video"]}, tmp_path)
    assert video["video/over_threshold"].shape == (3,)
    np.testing.assert_array_equal(
        video["video/over_threshold"], video["video/probabilities"] >= thresholds
    )


def test_predict_answers_a_multi_label_model_with_the_labels_over_threshold(
    tags_run, tags_dir, tmp_path, capsys
):
    """`zoo predict` on a multi-label run, and on its export: each video's labels over their
    thresholds (as the SavedModel returns them), printed, in `--json` and in the CSV."""
    videos = [tags_dir / r["path"] for r in manifest_rows(tags_dir) if r["split"] == "test"][:6]
    labels = (tags_run / "labels.txt").read_text().split()
    thresholds = tagging.read_thresholds(tags_run / "thresholds.json", labels)
    saved = tmp_path / "saved"
    assert cli.main(["export", str(tags_run), "--out", str(saved)]) == 0
    capsys.readouterr()
    answers = {}
    for model in (tags_run, saved):
        out = tmp_path / f"{model.name}.csv"
        argv = ["predict", str(model), *map(str, videos), "--out", str(out), "--no-progress"]
        assert cli.main(argv) == 0
        printed = capsys.readouterr().out.splitlines()
        assert cli.main([*argv[:-3], "--json"]) == 0
        results = json.loads(capsys.readouterr().out)
        for result, line in zip(results, printed, strict=True):
            scores = {top["label"]: top["score"] for top in result["top_k"]}  # all 3 labels
            over = [n for n in labels if scores[n] >= thresholds[labels.index(n)]]
            assert sorted(t["label"] for t in result["labels"]) == sorted(over)
            answer = ", ".join(f"{t['label']} {t['score']:.3f}" for t in result["labels"])
            assert line == f"{result['video']}: {answer or 'no label over its threshold'}"
        rows = list(csv.DictReader(out.open()))
        assert [r["labels"] for r in rows] == [
            "|".join(t["label"] for t in r["labels"]) for r in results
        ]
        answers[model.name] = [r["labels"] for r in results]
    assert answers["tags"] == answers["saved"], "the run and its export agree"
    assert any(len(a) >= 2 for a in answers["tags"]), "some clips get two tags"

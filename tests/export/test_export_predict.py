"""`zoo predict` and `zoo export` on a run folder, a `.keras` file and a SavedModel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from zoo.cli import main
from zoo.predict import load


@pytest.fixture(scope="module")
def saved(trained_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "saved_model"
    assert main(["export", str(trained_run), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def videos(digits_dir) -> list[Path]:
    """One test video per class."""
    return [sorted((digits_dir / "test" / label).glob("*.mp4"))[0] for label in
            ("down", "left", "right", "up")]  # fmt: skip


def test_run_keras_file_and_saved_model_give_the_same_answer(trained_run, saved, videos):
    loaded = [load(trained_run), load(trained_run / "model.keras"), load(saved)]
    assert all(c.labels == ["down", "left", "right", "up"] for c in loaded)
    assert [c.frame_step for c in loaded] == [4, 2, 4]  # a bare .keras file gets the default
    loaded[1].frame_step = 4
    for video in videos:
        results = [c.classify_video(video, num_clips=2) for c in loaded]
        np.testing.assert_allclose(results[1], results[0], atol=1e-5, rtol=0)
        np.testing.assert_allclose(results[2], results[0], atol=1e-5, rtol=0)
        assert loaded[0].top_k(results[0], 1)[0][0] == video.parent.name


def test_an_export_without_clip_settings_samples_with_the_defaults(saved, tmp_path, capsys):
    old = shutil.copytree(saved, tmp_path / "old_export")
    (old / "assets.extra" / "clip.json").unlink()  # as written before zoo recorded them
    classifier = load(old)
    assert (classifier.clip_len, classifier.frame_step, classifier.num_clips) == (4, 2, 1)
    assert "records no clip settings" in capsys.readouterr().err


def test_predict_json_reports_a_broken_video_and_goes_on(saved, videos, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(videos[0].read_bytes()[:200])
    argv = ["predict", str(saved), str(videos[1]), str(broken), str(videos[2]),
            "--json", "--top-k", "2", "--clips", "3", "--frame-step", "4", "--no-progress"]  # fmt: skip
    assert main(argv) == 1
    out, err = capsys.readouterr()
    results = json.loads(out)
    assert [r["video"] for r in results] == [str(videos[1]), str(broken), str(videos[2])]
    assert [r["top_k"][0]["label"] for r in (results[0], results[2])] == ["left", "right"]
    assert all(len(r["top_k"]) == 2 for r in (results[0], results[2]))
    assert "error" in results[1]
    assert err.strip().splitlines() == [
        f"zoo predict: error: {broken}: {results[1]['error']}",
        f"zoo predict: skipped 1 file: {broken}",
    ]


def test_predict_text_output_from_a_run(trained_run, videos, capsys):
    assert main(["predict", str(trained_run), *map(str, videos), "--top-k", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(v) for v in videos]
    assert [line.split(": ")[1].split()[0] for line in lines] == [v.parent.name for v in videos]


def test_keras_file_without_labels_gets_numbered_classes(trained_run, videos, tmp_path, capsys):
    model = shutil.copy(trained_run / "model.keras", tmp_path / "alone.keras")
    assert main(["predict", str(model), str(videos[0]), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["top_k"][0]["label"].startswith("class_")
    assert "no labels file" in err


def test_user_mistakes_are_one_line_errors(saved, trained_run, videos, tmp_path, capsys):
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\n")
    assert main(["predict", str(saved), str(videos[0]), "--labels", str(labels)]) == 2
    assert (
        main(["export", str(trained_run), "--labels", str(labels), "--out", str(tmp_path / "x")])
        == 2
    )
    assert main(["predict", str(tmp_path / "missing"), str(videos[0])]) == 2
    assert main(["export", str(trained_run), "--format", "onnx", "--quantize", "int8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("zoo ") for line in err), err
    assert "4 classes but 2 labels" in err[0] and "4 classes but 2 labels" in err[1]
    assert not (tmp_path / "x").exists()

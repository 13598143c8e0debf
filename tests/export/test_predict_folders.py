"""`zoo predict MODEL PATH...` over files and folders: --out CSV/JSON, --on-error, progress."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from export_tiny import CLIP, LABELS, build_tiny

import zoo.predict
from zoo.cli import main
from zoo.data.decode import read_video


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """An untrained frame_cnn as a `.keras` file, with its labels.txt beside it."""
    folder = tmp_path_factory.mktemp("model")
    build_tiny("frame_cnn").save(folder / "model.keras")
    (folder / "labels.txt").write_text("".join(f"{label}\n" for label in LABELS))
    return folder / "model.keras"


@pytest.fixture(scope="module")
def tree(tmp_path_factory, moving_digits_dir) -> Path:
    """tree/a/x.mp4, tree/a/b/y.mp4, a broken tree/a/b/broken.mp4, tree/a/notes.txt, tree/z.mp4."""
    root = tmp_path_factory.mktemp("tree")
    sources = sorted((moving_digits_dir / "test" / "left").glob("*.mp4"))[:3]
    (root / "a" / "b").mkdir(parents=True)
    for source, name in zip(sources, ["a/x.mp4", "a/b/y.mp4", "z.mp4"], strict=True):
        shutil.copy(source, root / name)
    (root / "a" / "b" / "broken.mp4").write_bytes(sources[0].read_bytes()[:200])
    (root / "a" / "notes.txt").write_text("not a video\n")
    return root


@pytest.fixture(scope="module")
def long_video(tmp_path_factory) -> Path:
    """A 240-frame 32x32 H.264 video of noise."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    frames = np.random.default_rng(0).integers(0, 256, (240, 32, 32, 3), np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_folders_are_searched_and_every_video_gets_a_csv_row(model_file, tree, tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    argv = ["predict", str(model_file), str(tree / "a"), str(tree / "z.mp4"), "--top-k", "2",
            "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(argv) == 1  # one video is broken
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    broken = tree / "a" / "b" / "broken.mp4"
    expected = [broken, tree / "a" / "b" / "y.mp4", tree / "a" / "x.mp4", tree / "z.mp4"]
    assert [row["video"] for row in rows] == list(map(str, expected))
    assert list(rows[0]) == ["video", "label_1", "score_1", "label_2", "score_2", "error"]
    assert rows[0]["error"] and not rows[0]["label_1"]
    classifier = zoo.predict.load(model_file)
    for row, video in zip(rows[1:], expected[1:], strict=True):
        top = classifier.top_k(classifier.classify_video(video), 2)
        assert row["error"] == ""
        assert [row["label_1"], row["label_2"]] == [label for label, _ in top]
        np.testing.assert_allclose([float(row["score_1"]), float(row["score_2"])],
                                   [score for _, score in top], atol=1e-6)  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"zoo predict: error: {broken}: {rows[0]['error']}",
        f"zoo predict: skipped 1 file: {broken}",
    ]


def test_out_json_holds_what_json_prints(model_file, tree, tmp_path, capsys):
    out = tmp_path / "predictions.json"
    argv = ["predict", str(model_file), str(tree), "--json", "--out", str(out), "--no-progress"]
    assert main(argv) == 1
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text()) == printed
    assert len(printed) == 4 and sum("error" in result for result in printed) == 1


def test_on_error_raise_stops_at_the_first_broken_video(model_file, tree, tmp_path, capsys):
    broken, out = tree / "a" / "b" / "broken.mp4", tmp_path / "predictions.csv"
    argv = ["predict", str(model_file), str(tree / "z.mp4"), str(broken), str(tree / "a" / "x.mp4"),
            "--on-error", "raise", "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert [line.split(": ")[0] for line in captured.out.splitlines()] == [str(tree / "z.mp4")]
    [line] = captured.err.strip().splitlines()
    assert line.startswith(f"zoo predict: error: {broken}: ")
    assert not out.exists()


def test_progress_bar_on_stderr_unless_hidden(model_file, tree, capsys):
    main(["predict", str(model_file), str(tree)])
    assert "4/4" in capsys.readouterr().err
    main(["predict", str(model_file), str(tree), "--no-progress"])
    assert "4/4" not in capsys.readouterr().err


def test_clips_decode_only_the_frames_they_sample(model_file, long_video, monkeypatch):
    requests = []

    def spy(path, indices=None, *args, **kwargs):
        video = read_video(path, indices, *args, **kwargs)
        requests.append((indices, len(video.frames)))
        return video

    monkeypatch.setattr(zoo.predict, "read_video", spy)
    assert main(["predict", str(model_file), str(long_video), "--clips", "3"]) == 0
    [(sampler, decoded)] = requests
    assert callable(sampler)  # the decoder is given a sampler, not every frame number
    assert sampler(240).shape == (3, CLIP["clip_len"])
    assert decoded == 3 * CLIP["clip_len"]


def test_user_mistakes_are_one_line_errors(model_file, tree, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    video = str(tree / "z.mp4")
    assert main(["predict", str(tree / "a" / "notes.txt"), video]) == 2
    assert main(["predict", str(model_file), str(tmp_path / "empty")]) == 2
    assert main(["predict", str(model_file), video, "--out", str(tmp_path / "out.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("zoo predict: error: ") for line in err), err
    for kind in ("run folder", ".keras", "SavedModel", ".tflite", ".onnx"):
        assert kind in err[0]
    assert "no video files" in err[1]
    assert "--out must end in .csv or .json" in err[2]


def test_shipped_weights_predict_by_name(tree, capsys):
    """`zoo predict pretrained:NAME`: the shipped moving_digits weights, with their card's
    class names and sampling, tell the direction of a left-moving test video."""
    assert main(["predict", "pretrained:cnn_lstm", str(tree / "z.mp4"), "--top-k", "1"]) == 0
    assert "left" in capsys.readouterr().out
    classifier = zoo.predict.load("pretrained:cnn_lstm")
    assert classifier.labels == ["down", "left", "right", "up"] and classifier.size == 64

"""An export answers like its run: every format carries the run's clip settings, and every reader
uses them.

One tiny frame_cnn is trained by `zoo.train.train` with clip settings all off
the defaults (6 frames, every 3rd, 32x32) and exported to every format with
`--clips 3`; the run and each export must then score a video alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from export_tiny import serve_without_zoo

from zoo.cli import main
from zoo.data.decode import read_video
from zoo.data.samplers import multi_clip
from zoo.export.clip import ClipSettings, litert_sidecar
from zoo.export.runtimes import OnnxModel
from zoo.export.signature import multi_clip_indices
from zoo.predict import load
from zoo.training.run import RunDir

SETTINGS = {"clip_len": 6, "frame_step": 3, "size": 32}
NUM_CLIPS = 3
FILES = {"saved_model": "saved_model", "litert": "model.tflite", "onnx": "model.onnx"}
# Largest difference from the run's probabilities; measured: 0.0 (SavedModel),
# 4.5e-8 (LiteRT), 3.0e-8 (ONNX).
TOLERANCE = {"saved_model": 1e-5, "litert": 1e-6, "onnx": 1e-6}


def assert_top_k(labels, scores, names, probabilities, atol=1e-5) -> None:
    """`labels` and `scores` are a top-k of `probabilities`: highest first, each label's own.

    Checked score by label, not by rank: an untrained model's near-equal
    probabilities may swap places between runtimes.
    """
    by_label = dict(zip(names, probabilities, strict=True))
    np.testing.assert_allclose(scores, [by_label[label] for label in labels], atol=atol)
    assert list(scores) == sorted(scores, reverse=True)
    assert min(scores) >= np.sort(probabilities)[-len(scores)] - atol


@pytest.fixture(scope="module")
def run(tmp_path_factory, moving_digits_dir) -> Path:
    """A run folder of frame_cnn trained 1 epoch, its data given relative to the working folder."""
    from zoo.train import train

    out = tmp_path_factory.mktemp("parity") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(moving_digits_dir.parent.parent)
        data = Path(moving_digits_dir.parent.name) / moving_digits_dir.name
        train("frame_cnn", data, out, epochs=1, seed=0, verbose=0,
              model_options={"width": 8}, **SETTINGS)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def exports(run) -> dict[str, Path]:
    """`zoo export RUN --format F --clips 3` for every format, at the default paths in the run."""
    for fmt in FILES:
        assert main(["export", str(run), "--format", fmt, "--clips", str(NUM_CLIPS)]) == 0
    return {fmt: run / name for fmt, name in FILES.items()}


@pytest.fixture(scope="module")
def videos(moving_digits_dir) -> list[Path]:
    """One test video of each of two classes."""
    return [sorted((moving_digits_dir / "test" / label).glob("*.mp4"))[0] for label in
            ("left", "up")]  # fmt: skip


def test_every_export_records_the_runs_clip_settings(run, exports):
    stored = {**SETTINGS, "num_clips": NUM_CLIPS}
    labels = RunDir(run).read_labels()
    clip_json = exports["saved_model"] / "assets.extra" / "clip.json"
    assert json.loads(clip_json.read_text()) == stored
    assert json.loads(litert_sidecar(exports["litert"]).read_text()) == {
        "clip": stored,
        "labels": labels,
    }
    onnx = OnnxModel(exports["onnx"])
    assert (onnx.clip, onnx.labels) == (ClipSettings(**stored), labels)
    loaded = {kind: load(path) for kind, path in {"run": run, **exports}.items()}
    sampling = {kind: (c.clip_len, c.frame_step, c.num_clips) for kind, c in loaded.items()}
    assert sampling == {"run": (6, 3, 1), "saved_model": (6, 3, 3), "litert": (6, 3, 3),
                        "onnx": (6, 3, 3)}  # fmt: skip
    assert all(c.labels == labels for c in loaded.values())


def test_run_and_every_export_give_the_same_scores(run, exports, videos):
    reference = load(run)
    expected = [reference.classify_video(video, num_clips=NUM_CLIPS) for video in videos]
    errors = {}
    for kind, path in exports.items():
        scores = [load(path).classify_video(video) for video in videos]  # the export's 3 clips
        errors[kind] = float(np.abs(np.array(scores) - np.array(expected)).max())
    print(json.dumps(errors))
    assert all(errors[kind] <= TOLERANCE[kind] for kind in errors), errors


def test_serving_video_samples_like_the_run_in_a_process_without_zoo(
    run, exports, videos, tmp_path
):
    frames = {f"video{i}": read_video(video).frames for i, video in enumerate(videos)}
    frames["short"] = np.random.default_rng(0).integers(0, 256, (5, 40, 48, 3), np.uint8)
    served = serve_without_zoo(exports["saved_model"], "serving_video", frames, tmp_path)
    reference = load(run)
    expected = {f"video{i}": reference.classify_video(v, NUM_CLIPS) for i, v in enumerate(videos)}
    # Shorter than one clip (16 frames): every clip repeats the last frame.
    short_clips = frames["short"][multi_clip(5, SETTINGS["clip_len"], 3, NUM_CLIPS)]
    expected["short"] = reference.run_clips(short_clips).mean(axis=0)
    for key, probabilities in expected.items():
        np.testing.assert_allclose(served[f"{key}/probabilities"], probabilities, atol=1e-5)
        assert_top_k(served[f"{key}/top_k_labels"].astype(str), served[f"{key}/top_k_scores"],
                     reference.labels, probabilities)  # fmt: skip


@pytest.mark.parametrize("clip_len, frame_step", [(1, 1), (6, 3), (8, 2)])
def test_the_sampler_in_the_graph_is_multi_clip(clip_len, frame_step):
    lengths = [*range(0, 80), 997, 1000, 5003, 19_999]
    for num_clips in range(1, 15):
        sample = tf.function(
            lambda n, k=num_clips: multi_clip_indices(n, clip_len, frame_step, k), autograph=False
        )
        for n in lengths:
            expected = multi_clip(n, clip_len, frame_step, num_clips)
            np.testing.assert_array_equal(sample(tf.constant(n)).numpy(), expected, f"{n} frames")


@pytest.mark.parametrize("kind", ["keras", "run", "saved_model", "litert", "onnx"])
def test_predict_runs_every_format_with_the_same_output(kind, run, exports, videos, capsys):
    model = {"keras": run / "model.keras", "run": run, **exports}[kind]
    step = ["--frame-step", "3"] if kind == "keras" else []  # a bare .keras file records none
    argv = ["predict", str(model), *map(str, videos), "--json", "--top-k", "2",
            "--clips", str(NUM_CLIPS), "--no-progress", *step]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    reference = load(run)
    assert [result["video"] for result in results] == list(map(str, videos))
    for video, result in zip(videos, results, strict=True):
        labels = [entry["label"] for entry in result["top_k"]]
        scores = [entry["score"] for entry in result["top_k"]]
        probabilities = reference.classify_video(video, NUM_CLIPS)
        assert_top_k(labels, scores, reference.labels, probabilities, TOLERANCE.get(kind, 1e-5))


def test_int8_export_calibrates_on_the_runs_data_from_another_folder(
    run, videos, tmp_path, monkeypatch
):
    assert Path(RunDir(run).read_config().data).is_absolute()  # trained with a relative path
    monkeypatch.chdir(tmp_path)
    argv = ["export", str(run), "--format", "litert", "--quantize", "int8",
            "--calibration-clips", "4", "--out", "int8.tflite"]  # fmt: skip
    assert main(argv) == 0
    classifier = load(tmp_path / "int8.tflite")
    assert (classifier.frame_step, classifier.num_clips) == (3, 1)
    np.testing.assert_allclose(classifier.classify_video(videos[0]).sum(), 1.0, atol=1e-2)

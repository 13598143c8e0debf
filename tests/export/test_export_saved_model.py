"""SavedModel export: signature, parity in a process without zoo, saved_model_cli, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from export_tiny import CLIP, LABELS, serve_without_zoo

import zoo.export
from zoo.data.transforms import preprocess_clip

TOP_K = 3
SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")


def keras_reference(model, frames: np.ndarray) -> np.ndarray:
    """Keras predict on clips preprocessed one by one as training evaluation does."""
    clips = np.stack([preprocess_clip(clip, CLIP["size"]).numpy() for clip in frames])
    return model.predict(clips, verbose=0)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_models):
    path = tmp_path_factory.mktemp("saved") / "cnn_lstm"
    return zoo.export.saved_model(tiny_models["cnn_lstm"], path, LABELS, top_k=TOP_K)


def test_signature_names_dtypes_and_shapes(exported):
    serve = tf.saved_model.load(str(exported)).signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    assert list(inputs) == ["frames"]
    assert inputs["frames"].dtype == tf.uint8
    assert inputs["frames"].shape.as_list() == [None, CLIP["clip_len"], None, None, 3]
    outputs = serve.structured_outputs
    assert {name: (spec.dtype, spec.shape.as_list()) for name, spec in outputs.items()} == {
        "probabilities": (tf.float32, [None, len(LABELS)]),
        "top_k_scores": (tf.float32, [None, TOP_K]),
        "top_k_labels": (tf.string, [None, TOP_K]),
    }
    assert (exported / "assets.extra" / "labels.txt").read_text().split() == LABELS


def test_video_signature_and_default_clip_settings(exported):
    serve = tf.saved_model.load(str(exported)).signatures["serving_video"]
    inputs = serve.structured_input_signature[1]
    assert {name: (spec.dtype, spec.shape.as_list()) for name, spec in inputs.items()} == {
        "frames": (tf.uint8, [None, None, None, 3])
    }
    outputs = serve.structured_outputs
    assert {name: (spec.dtype, spec.shape.as_list()) for name, spec in outputs.items()} == {
        "probabilities": (tf.float32, [len(LABELS)]),
        "top_k_scores": (tf.float32, [TOP_K]),
        "top_k_labels": (tf.string, [TOP_K]),
    }
    clip = json.loads((exported / "assets.extra" / "clip.json").read_text())
    assert clip == {"clip_len": CLIP["clip_len"], "size": CLIP["size"], "frame_step": 2,
                    "num_clips": 1}  # fmt: skip


def test_serves_in_a_fresh_process_that_cannot_import_zoo(exported, tiny_models, tmp_path):
    rng = np.random.default_rng(1)
    frames = {  # any H and W: larger, non-square, and exactly the model's size
        "wide": rng.integers(0, 256, (2, CLIP["clip_len"], 48, 72, 3), dtype=np.uint8),
        "tall": rng.integers(0, 256, (1, CLIP["clip_len"], 50, 36, 3), dtype=np.uint8),
        "exact": rng.integers(0, 256, (3, CLIP["clip_len"], 32, 32, 3), dtype=np.uint8),
    }
    served = serve_without_zoo(exported, "serving_default", frames, tmp_path)
    for key, clips in frames.items():
        expected = keras_reference(tiny_models["cnn_lstm"], clips)
        probabilities = served[f"{key}/probabilities"]
        np.testing.assert_allclose(probabilities, expected, atol=1e-5, rtol=0)
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :TOP_K]
        np.testing.assert_allclose(
            served[f"{key}/top_k_scores"], np.take_along_axis(probabilities, order, 1)
        )
        assert served[f"{key}/top_k_labels"].astype(str).tolist() == (
            np.array(LABELS)[order].tolist()
        )


def test_saved_model_cli_show_and_run(exported, tmp_path):
    frames = np.random.default_rng(2).integers(0, 256, (2, CLIP["clip_len"], 40, 56, 3), np.uint8)
    np.save(tmp_path / "frames.npy", frames)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    show = subprocess.run(
        [SAVED_MODEL_CLI, "show", "--all", "--dir", exported],
        capture_output=True,
        text=True,
        env=env,
    )
    assert show.returncode == 0, show.stderr[-3000:]
    assert "signature_def['serving_default']" in show.stdout
    assert "signature_def['serving_video']" in show.stdout
    for name in ("frames", "probabilities", "top_k_scores", "top_k_labels"):
        assert f"['{name}']" in show.stdout
    run = subprocess.run(
        [SAVED_MODEL_CLI, "run", "--dir", exported, "--tag_set", "serve",
         "--signature_def", "serving_default", "--inputs", f"frames={tmp_path / 'frames.npy'}",
         "--outdir", tmp_path / "out"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    probabilities = np.load(tmp_path / "out" / "probabilities.npy")
    assert probabilities.shape == (2, len(LABELS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def _failing_save(real_save):
    """`tf.saved_model.save` that writes everything, then fails as a full disk would."""

    def save(obj, export_dir, *args, **kwargs):
        real_save(obj, export_dir, *args, **kwargs)
        raise OSError(28, "No space left on device")

    return save


def test_interrupted_export_leaves_no_model_and_keeps_the_old_one(
    tiny_models, tmp_path, monkeypatch
):
    model = tiny_models["frame_cnn"]
    path = tmp_path / "model"
    with monkeypatch.context() as patch:
        patch.setattr(tf.saved_model, "save", _failing_save(tf.saved_model.save))
        with pytest.raises(OSError, match="No space left"):
            zoo.export.saved_model(model, path, LABELS)
    assert list(tmp_path.iterdir()) == []  # no model, no temporary directory left behind

    zoo.export.saved_model(model, path, LABELS)
    before = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    with monkeypatch.context() as patch:
        patch.setattr(tf.saved_model, "save", _failing_save(tf.saved_model.save))
        with pytest.raises(OSError, match="No space left"):
            zoo.export.saved_model(model, path, ["w", "x", "y", "z"])
    after = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    assert after == before
    assert list(tmp_path.iterdir()) == [path]

    zoo.export.saved_model(model, path, ["w", "x", "y", "z"])  # a finished export replaces it
    assert (path / "assets.extra" / "labels.txt").read_text().split() == ["w", "x", "y", "z"]
    assert list(tmp_path.iterdir()) == [path]


def test_wrong_number_of_labels_is_a_clear_error(tiny_models, tmp_path):
    with pytest.raises(ValueError, match="4 classes but 2 labels"):
        zoo.export.saved_model(tiny_models["frame_cnn"], tmp_path / "model", ["a", "b"])
    assert not (tmp_path / "model").exists()


def test_a_videoprism_serves_without_zoo_or_keras_hub(tmp_path):
    """The KerasHub backbone is traced into the graph: serving needs TensorFlow only."""
    import keras

    from zoo.models import build

    keras.utils.set_random_seed(0)
    options = {"image_size": 32, "hidden_dim": 32, "intermediate_dim": 64}
    model = build("videoprism", len(LABELS), input_shape=(CLIP["clip_len"], 32, 32, 3), **options)
    path = zoo.export.saved_model(model, tmp_path / "videoprism", LABELS, top_k=TOP_K)
    frames = np.random.default_rng(3).integers(0, 256, (2, CLIP["clip_len"], 40, 56, 3), np.uint8)
    served = serve_without_zoo(path, "serving_default", {"clips": frames}, tmp_path)
    np.testing.assert_allclose(
        served["clips/probabilities"], keras_reference(model, frames), atol=1e-5, rtol=0
    )

"""LiteRT and ONNX exports: parity with Keras, and int8 accuracy on built-in data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from export_tiny import CLIP, LABELS

import zoo.export
from zoo.cli import main
from zoo.export import ClipSettings
from zoo.export.runtimes import LiteRTModel, OnnxModel

FAMILIES = ["frame_cnn", "cnn_lstm", "temporal_transformer"]
INT8_MAX_DROP = 0.0625  # two of the 32 test videos


@pytest.mark.parametrize("name", FAMILIES)
def test_litert_matches_keras(name, tiny_models, float_clips, tmp_path):
    model = tiny_models[name]
    path = zoo.export.litert(model, tmp_path / f"{name}.tflite")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.tflite", f"{name}.tflite.json"]
    runtime = LiteRTModel(path)
    assert runtime.clip == ClipSettings(CLIP["clip_len"], CLIP["size"])  # defaults: step 2, 1 clip
    assert runtime.labels is None
    expected = model.predict(float_clips, verbose=0)
    np.testing.assert_allclose(runtime(float_clips), expected, atol=1e-4, rtol=0)  # batch 3
    np.testing.assert_allclose(runtime(float_clips[:1]), expected[:1], atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", FAMILIES)
def test_onnx_matches_keras(name, tiny_models, float_clips, tmp_path):
    model = tiny_models[name]
    path = zoo.export.onnx(model, tmp_path / f"{name}.onnx", LABELS)
    runtime = OnnxModel(path)
    assert runtime.labels == LABELS
    expected = model.predict(float_clips, verbose=0)
    np.testing.assert_allclose(runtime(float_clips), expected, atol=1e-4, rtol=0)


def test_int8_litert_keeps_accuracy_on_built_in_data(trained_run, digits_dir, test_clips, tmp_path):
    """`zoo export RUN --format litert --quantize int8` calibrates on the run's training data."""
    import keras

    out = tmp_path / "model_int8.tflite"
    assert main([
        "export", str(trained_run), "--format", "litert", "--quantize", "int8",
        "--calibration-clips", "32", "--out", str(out),
    ]) == 0  # fmt: skip
    clips, labels = test_clips
    model = keras.models.load_model(trained_run / "model.keras")
    float_accuracy = np.mean(model.predict(clips, verbose=0).argmax(1) == labels)
    int8 = LiteRTModel(out)
    int8_accuracy = np.mean(int8(clips).argmax(1) == labels)
    print(json.dumps({"float": float(float_accuracy), "int8": float(int8_accuracy)}))
    assert float_accuracy >= 0.9  # the run learned the task, so the comparison means something
    assert float_accuracy - int8_accuracy <= INT8_MAX_DROP
    assert out.stat().st_size < (trained_run / "model.keras").stat().st_size / 2


def test_int8_without_calibration_data_is_a_clear_error(tiny_models, tmp_path):
    with pytest.raises(ValueError, match="representative_clips"):
        zoo.export.litert(tiny_models["frame_cnn"], tmp_path / "m.tflite", quantize="int8")
    assert list(tmp_path.iterdir()) == []  # neither the model nor its sidecar

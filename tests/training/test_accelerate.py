"""The GPU set-up (mixed_float16 + XLA), forced on a CPU: float32 probabilities, a run that learns.

No GPU exists here or in CI, so `accelerate(gpu=True)` and a patched
`has_gpu` stand in for one. Float16 kernels the CPU lacks (MaxPool3D) exist
under XLA, so the forward passes run XLA-compiled, as the GPU set-up does.
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from run_training import TINY_RUN
from tensorflow.python.framework import config as tf_config

from zoo import models
from zoo.train import train
from zoo.training import hardware
from zoo.training.run import RunDir

VIDEO, AUDIO = (4, 32, 32, 3), (48, 32, 1)
TINY_SHAPES = {  # builder options, by task
    "video": {"input_shape": VIDEO},
    "audio": {"input_shape": AUDIO},
    "audio_visual": {"input_shape": VIDEO, "audio_shape": AUDIO},
}


@pytest.fixture(autouse=True)
def float32_afterwards():
    """Puts the global dtype policy back to float32 after each test, for the tests that follow."""
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture
def without_op_determinism():
    """Op determinism off for one test: Keras refuses XLA under it (other tests turn it on).

    TensorFlow has no public switch to turn it off, hence its private `config` module.
    """
    was_on = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()
    yield
    if was_on:
        tf.config.experimental.enable_op_determinism()


def _tiny(name: str) -> keras.Model:
    """`name` with 3 classes at tiny input shapes."""
    return models.build(name, 3, **TINY_SHAPES[models.entry(name).task])


@pytest.mark.parametrize("name", models.available())
def test_mixed_precision_model_gives_float32_probabilities(name):
    assert hardware.accelerate(gpu=True) is True
    model = _tiny(name)
    assert any(layer.compute_dtype == "float16" for layer in model.layers)  # the body is float16
    assert all(w.dtype == "float32" for w in model.weights)  # and keeps float32 weights
    rng = np.random.default_rng(0)
    inputs = [rng.random((2, *i.shape[1:]), dtype=np.float32) for i in model.inputs]
    forward = tf.function(lambda x: model(x, training=False), jit_compile=True)
    probabilities = forward(inputs if len(inputs) > 1 else inputs[0])
    assert probabilities.dtype == tf.float32 and probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, atol=1e-6)


def test_accelerate_keeps_float32_without_a_gpu():
    assert hardware.accelerate(gpu=False) is False
    assert keras.mixed_precision.global_policy().name == "float32"


def test_no_xla_for_a_deterministic_run_even_with_a_gpu():
    assert hardware.accelerate(gpu=True, deterministic=True) is False
    assert keras.mixed_precision.global_policy().name == "mixed_float16"


def test_mixed_precision_and_xla_run_learns(
    tiny_digits, tmp_path, monkeypatch, without_op_determinism
):
    monkeypatch.setattr(hardware, "has_gpu", lambda: True)
    run = train(
        "cnn_lstm",
        tiny_digits,
        tmp_path / "run",
        epochs=3,  # deterministic left at its default: off when there is a GPU
        verbose=2,
        **TINY_RUN,
    )
    config = json.loads((run / "config.json").read_text())
    assert config["mixed_precision"] == "mixed_float16" and config["jit_compile"] is True
    losses = [row["loss"] for row in RunDir(run).read_history()]
    assert len(losses) == 3 and all(math.isfinite(loss) for loss in losses)
    assert losses[0] > losses[1] > losses[2]
    model = keras.saving.load_model(run / "model.keras")
    assert model.get_layer("probabilities").compute_dtype == "float32"

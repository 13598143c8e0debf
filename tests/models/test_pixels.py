"""Every video model takes pixels in [0, 255] and scales them itself; older models still load."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo import models
from zoo.models.blocks import takes_pixels

VIDEO = [name for name in models.available() if models.entry(name).task != "audio"]


def _build(name: str) -> keras.Model:
    options = {"audio_shape": (48, 32, 1)} if models.entry(name).task == "audio_visual" else {}
    return models.build(name, 3, input_shape=(4, 32, 32, 3), **options)


def _clips(model: keras.Model) -> list[np.ndarray]:
    """uint8 frames and float audio for the inputs of `model`, in order."""
    rng = np.random.default_rng(0)
    return [
        rng.integers(0, 256, (2, *t.shape[1:]), dtype=np.uint8)
        if t.name == "frames"
        else rng.random((2, *t.shape[1:]), dtype=np.float32)
        for t in model.inputs
    ]


def _feed(x: list[np.ndarray]) -> list[np.ndarray] | np.ndarray:
    """What a model with `len(x)` inputs takes: the list, or its only array."""
    return x if len(x) > 1 else x[0]


@pytest.mark.parametrize("name", VIDEO)
def test_video_models_scale_uint8_pixels_themselves(name):
    """The same clip as uint8 or as float32 in [0, 255] gives the same probabilities, and
    the frames reach the first layer after "pixels" in [0, 1]."""
    keras.utils.set_random_seed(0)
    model = _build(name)
    assert takes_pixels(model)
    given = _clips(model)
    as_float = [x.astype(np.float32) for x in given]
    np.testing.assert_allclose(
        model.predict(_feed(given), verbose=0), model.predict(_feed(as_float), verbose=0)
    )
    probe = keras.Model(model.input, model.get_layer("pixels").output)
    np.testing.assert_allclose(probe.predict(_feed(given), verbose=0), given[0] / 255, rtol=1e-6)


def _legacy(with_audio: bool) -> keras.Model:
    """A model as zoo built them before models scaled their frames: input "frames" in [0, 1]."""
    frames = keras.Input((4, 16, 16, 3), name="frames")
    x = keras.layers.GlobalAveragePooling3D()(frames)
    inputs = [frames]
    if with_audio:
        audio = keras.Input((8, 8, 1), name="audio")
        x = keras.layers.Concatenate()([x, keras.layers.GlobalAveragePooling2D()(audio)])
        inputs.append(audio)
    outputs = keras.layers.Dense(3, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="legacy")


@pytest.mark.parametrize("with_audio", [False, True])
def test_a_model_saved_before_pixels_loads_behind_them(tmp_path, with_audio):
    """`zoo.models.load` puts an old model behind a "pixels" layer: uint8 frames in, the
    answers of the old model on frames / 255 out."""
    keras.utils.set_random_seed(1)
    old = _legacy(with_audio)
    old.save(tmp_path / "old.keras")
    loaded = models.load(tmp_path / "old.keras")
    assert takes_pixels(loaded) and not takes_pixels(old)
    assert [t.name for t in loaded.inputs] == [t.name for t in old.inputs]
    given = _clips(old)
    scaled = [given[0] / 255, *given[1:]]  # "frames" comes first
    np.testing.assert_allclose(
        loaded.predict(_feed(given), verbose=0),
        old.predict(_feed(scaled), verbose=0),
        rtol=1e-5,
        atol=1e-7,
    )


def test_a_model_that_scales_its_pixels_loads_as_saved(tmp_path):
    model = _build("c3d")
    model.save(tmp_path / "c3d.keras")
    loaded = models.load(tmp_path / "c3d.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]

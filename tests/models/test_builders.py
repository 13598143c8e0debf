"""Every builder: two input shapes, softmax output, .keras round trip (also in a fresh process), SavedModel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import models

ALL = models.available()
SMALL = {"video": [(4, 32, 32, 3), (8, 32, 48, 3)], "audio": [(48, 32, 1), (96, 64, 1)]}


def _inputs(model: keras.Model, batch: int = 2) -> list[np.ndarray]:
    """Random inputs for every input of `model`."""
    rng = np.random.default_rng(0)
    return [rng.random((batch, *i.shape[1:]), dtype=np.float32) for i in model.inputs]


def _feed(x: list[np.ndarray]) -> list[np.ndarray] | np.ndarray:
    """What a model with `len(x)` inputs takes: the list, or its only array."""
    return x if len(x) > 1 else x[0]


def _small(name: str, shape_index: int = 0, num_classes: int = 3) -> keras.Model:
    """`name` built at a small input shape (both streams for av_fusion)."""
    if models.entry(name).task == "audio_visual":
        return models.build(
            name,
            num_classes,
            input_shape=SMALL["video"][shape_index],
            audio_shape=SMALL["audio"][shape_index],
        )
    return models.build(name, num_classes, input_shape=SMALL[models.entry(name).task][shape_index])


def test_registry_lists_every_builder():
    assert ALL == [
        "audio_cnn",
        "av_fusion",
        "c3d",
        "cnn_lstm",
        "conv_lstm",
        "frame_cnn",
        "r2plus1d",
        "temporal_transformer",
        "timesformer",
        "videoprism",
        "vivit",
    ]
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        models.build("nope", 3)


@pytest.mark.parametrize("name", ALL)
def test_builds_for_two_input_shapes_with_softmax_output(name):
    for shape_index in (0, 1):
        keras.utils.set_random_seed(0)
        model = _small(name, shape_index, num_classes=5)
        assert model.name.startswith(name)
        assert model.get_layer("probabilities").output is model.outputs[0]
        probabilities = model.predict_on_batch(_feed(_inputs(model, batch=3)))
        assert probabilities.shape == (3, 5)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    doc = models.entry(name).builder.__doc__
    assert (
        "Returns:" in doc and "(B, " in doc and "20" in doc.splitlines()[0]
    )  # shapes and the paper's year


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, tuple[keras.Model, list[np.ndarray], np.ndarray, Path]]:
    """Every model at a small shape, saved as .keras: name -> (model, inputs, outputs, path)."""
    folder = tmp_path_factory.mktemp("keras")
    out = {}
    for name in ALL:
        keras.utils.set_random_seed(1)
        model = _small(name)
        x = _inputs(model)
        expected = model.predict_on_batch(_feed(x))
        path = folder / f"{name}.keras"
        model.save(path)
        np.savez(f"{path}.npz", y=expected, **{f"x{i}": v for i, v in enumerate(x)})
        out[name] = (model, x, expected, path)
    return out


RELOAD = """
import sys, keras, numpy as np
import zoo.models  # registers the custom layers
for path in sys.argv[1:]:
    data = np.load(path + ".npz")
    model = keras.saving.load_model(path, safe_mode=True)
    x = [data[f"x{i}"] for i in range(len(model.inputs))]
    np.testing.assert_array_equal(model.predict_on_batch(x if len(x) > 1 else x[0]), data["y"])
print("ok", len(sys.argv) - 1)
"""


def test_every_model_round_trips_through_keras_in_a_fresh_process(saved):
    """Identical outputs after `load_model(..., safe_mode=True)` in a new interpreter."""
    paths = [str(path) for *_, path in saved.values()]
    result = subprocess.run(
        [sys.executable, "-c", RELOAD, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"ok {len(ALL)}"


@pytest.mark.parametrize("name", ALL)
def test_exports_a_saved_model(name, saved, tmp_path):
    model, x, expected, _ = saved[name]
    model.export(tmp_path / "saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "saved_model"))  # keep it: it owns the variables
    served = reloaded.serve(_feed(x))
    np.testing.assert_allclose(served.numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("backbone", ["mobilenet_v3_small", "efficientnet_b0"])
def test_frame_cnn_takes_a_keras_applications_backbone(backbone):
    model = models.build(
        "frame_cnn", 4, input_shape=(2, 32, 32, 3), backbone=backbone, weights=None
    )
    assert model.get_layer("per_frame").layer.name == f"{backbone}_encoder"
    probabilities = model.predict_on_batch(_feed(_inputs(model)))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown backbone 'resnet'"):
        models.build("frame_cnn", 4, backbone="resnet")


def test_cnn_lstm_options():
    gru = models.build("cnn_lstm", 4, input_shape=(4, 32, 32, 3), cell="gru", bidirectional=True)
    assert gru.get_layer("bi_gru").output.shape == (None, 128)
    with pytest.raises(ValueError, match="cell must be"):
        models.build("cnn_lstm", 4, cell="rnn")


@pytest.mark.parametrize("fusion", ["late", "mid"])
def test_av_fusion_learns_from_both_streams(fusion):
    """Labels need both streams (XOR of video and audio brightness); loss falls in a few steps."""
    keras.utils.set_random_seed(0)
    model = models.build(
        "av_fusion", 2, input_shape=(2, 16, 16, 3), audio_shape=(24, 16, 1), fusion=fusion
    )
    assert model.name == f"av_fusion_{fusion}"
    rng = np.random.default_rng(0)
    bright_video, bright_audio = rng.integers(0, 2, 32), rng.integers(0, 2, 32)
    video = (
        rng.random((32, 2, 16, 16, 3), dtype=np.float32) * 0.5
        + 0.5 * bright_video[:, None, None, None, None]
    )
    audio = rng.random((32, 24, 16, 1), dtype=np.float32) + bright_audio[:, None, None, None]
    labels = bright_video ^ bright_audio
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history = model.fit([video, audio], labels, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(ValueError, match="fusion must be"):
        models.build("av_fusion", 2, fusion="early")


def test_audio_cnn_loss_falls():
    keras.utils.set_random_seed(0)
    model = models.build("audio_cnn", 2, input_shape=(48, 32, 1))
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 32)
    audio = rng.random((32, 48, 32, 1), dtype=np.float32) + labels[:, None, None, None]
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history = model.fit(audio, labels, batch_size=8, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_models_use_only_keras():
    """Builders use Keras layers and keras.ops only, so they run on every backend."""
    for path in Path(models.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "import tensorflow" not in source and "tf." not in source, path

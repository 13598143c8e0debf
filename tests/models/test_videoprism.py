"""The `videoprism` builder: local presets, both heads, freezing, FLOPs, and the JAX backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from zoo import models
from zoo.models import table, videoprism
from zoo.models.layers import ResizeFrames

TINY = dict(
    image_size=16,
    patch_size=8,
    hidden_dim=16,
    intermediate_dim=32,
    num_heads=2,
    num_spatial_layers=2,
    num_temporal_layers=2,
)


@pytest.fixture(scope="module")
def preset(tmp_path_factory) -> tuple[Path, keras_hub.models.VideoPrismBackbone]:
    """A tiny random backbone saved as a local preset folder, and the backbone itself."""
    keras.utils.set_random_seed(0)
    backbone = videoprism.random_backbone(4, **TINY)
    folder = tmp_path_factory.mktemp("preset") / "videoprism_tiny"
    backbone.save_to_preset(str(folder))
    return folder, backbone


def _clips(shape=(2, 4, 16, 16, 3)) -> np.ndarray:
    return np.random.default_rng(0).random(shape, dtype=np.float32)


def test_a_local_preset_gives_the_backbone_it_was_saved_from(preset):
    folder, backbone = preset
    model = models.build(
        "videoprism", 3, input_shape=(4, 16, 16, 3), preset=str(folder), head="mean"
    )
    x = _clips()
    tokens = backbone.predict_on_batch(x)  # (B, T, N, D)
    assert tokens.shape == (2, 4, 4, 16)
    pixels = x * 255  # what the model takes; its "pixels" layer scales them back to [0, 1]
    embedded = videoprism.embedding_model(model).predict_on_batch(pixels)
    np.testing.assert_allclose(embedded, tokens.mean(axis=(1, 2)), atol=1e-5)
    assert model.get_layer("preprocess").scale == (1.0, 1.0, 1.0)  # no image converter: [0, 1]


def test_a_preset_image_converter_sets_the_scaling(preset, tmp_path):
    folder, backbone = preset
    backbone.save_to_preset(str(tmp_path))
    converter = keras_hub.layers.VideoPrismImageConverter(scale=1 / 127.5, offset=-1.0)
    converter.save_to_preset(str(tmp_path))
    model = models.build("videoprism", 3, input_shape=(4, 16, 16, 3), preset=str(tmp_path))
    np.testing.assert_allclose(model.get_layer("preprocess").scale, (2.0,) * 3)
    np.testing.assert_allclose(model.get_layer("preprocess").offset, (-1.0,) * 3)


def test_a_preset_needs_its_frame_count(preset):
    with pytest.raises(ValueError, match="clips of 4 frames, not 8"):
        models.build("videoprism", 3, input_shape=(8, 16, 16, 3), preset=str(preset[0]))


def test_preprocess_averages_blocks_of_pixels_when_it_shrinks_frames():
    """Halving each side gives the mean of each 2x2 block, under XLA as well (the GPU set-up)."""
    clips = _clips((2, 3, 8, 8, 3))
    blocks = clips.reshape(2, 3, 4, 2, 4, 2, 3).mean(axis=(3, 5))
    resize = ResizeFrames((4, 4), scale=(2.0,) * 3, offset=(-1.0,) * 3)
    np.testing.assert_allclose(resize(clips), blocks * 2 - 1, atol=1e-6)
    compiled = tf.function(resize, jit_compile=True)
    np.testing.assert_allclose(compiled(clips), blocks * 2 - 1, atol=1e-6)


@pytest.mark.parametrize("head", videoprism.HEADS)
def test_head_on_embeddings_equals_the_whole_model(head):
    keras.utils.set_random_seed(0)
    model = models.build("videoprism", 3, input_shape=(4, 24, 32, 3), head=head, **TINY)
    x = _clips((2, 4, 24, 32, 3))  # resized to 16x16 inside the model
    embedded = videoprism.embedding_model(model).predict_on_batch(x)
    assert embedded.shape == ((2, 16) if head == "mean" else (2, 4 * 4, 16))
    np.testing.assert_allclose(
        videoprism.head_model(model).predict_on_batch(embedded),
        model.predict_on_batch(x),
        atol=1e-6,
    )


def _trainable(model: keras.Model) -> set[str]:
    return {w.path for w in model.trainable_weights}


def test_frozen_partial_and_full_training():
    def build(**options) -> keras.Model:
        return models.build("videoprism", 3, input_shape=(4, 16, 16, 3), **TINY, **options)

    frozen, full = build(), build(trainable=True)
    assert all(p.startswith(("attentive_pooling/", "probabilities/")) for p in _trainable(frozen))
    assert len(full.trainable_weights) == len(full.weights)
    partial = build(unfreeze_temporal=1, unfreeze_spatial=1)
    backbone_weights = _trainable(partial) - _trainable(frozen)
    assert {p.split("/")[0] + "/" + p.split("/")[1] for p in backbone_weights} == {
        "spatial_encoder/transformer_block_1",
        "spatial_encoder/ln",
        "temporal_encoder/transformer_block_1",
        "temporal_encoder/ln",
    }
    with pytest.raises(ValueError, match="has 2 blocks; cannot unfreeze 3"):
        build(unfreeze_temporal=3)


def test_freeze_sets_the_mode_whatever_an_earlier_call_set(preset):
    """Partial, then full: every weight trains again (the full mode once kept the earlier
    partial mode's frozen blocks frozen), and frozen after that freezes everything."""
    backbone = preset[1]
    videoprism.freeze(backbone, unfreeze_spatial=1, unfreeze_temporal=1)
    assert 0 < len(backbone.trainable_weights) < len(backbone.weights)
    videoprism.freeze(backbone, trainable=True)
    assert len(backbone.trainable_weights) == len(backbone.weights)
    videoprism.freeze(backbone)
    assert not backbone.trainable_weights
    videoprism.freeze(backbone, trainable=True)
    assert len(backbone.trainable_weights) == len(backbone.weights)


def test_one_step_changes_only_the_unfrozen_weights():
    keras.utils.set_random_seed(0)
    model = models.build(
        "videoprism", 3, input_shape=(4, 16, 16, 3), unfreeze_temporal=1, head="mean", **TINY
    )
    before = {w.path: w.numpy().copy() for w in model.weights}
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.fit(_clips((4, 4, 16, 16, 3)), np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    changed = {w.path for w in model.weights if not np.array_equal(w.numpy(), before[w.path])}
    assert changed and changed <= _trainable(model)
    assert any(p.startswith("temporal_encoder/transformer_block_1/") for p in changed)


def test_flops_of_the_base_architecture():
    """Published sizes give the published parameter count; FLOPs by hand for one clip."""
    backbone = videoprism.random_backbone(**videoprism.BASE)
    assert round(backbone.count_params() / 1e6) == 114
    dim, mlp, frames, patches = 768, 3072, 16, 256

    def block(length: int) -> int:
        return 4 * length * dim * dim + 2 * length * length * dim + 2 * length * dim * mlp

    macs = frames * patches * 18 * 18 * 3 * dim + frames * 12 * block(patches)
    macs += patches * 4 * block(frames)
    assert table.videoprism_flops(backbone) == 2 * macs


JAX = """
import keras, numpy as np
from zoo import models
assert keras.backend.backend() == "jax"
model = models.build("videoprism", 3, input_shape=(4, 16, 16, 3), trainable=True, image_size=16,
                     patch_size=8, hidden_dim=16, intermediate_dim=32, num_heads=2)
x = np.random.default_rng(0).random((4, 4, 16, 16, 3), dtype=np.float32)
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
print("ok", model.predict_on_batch(x).shape)
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_builds_and_trains_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", JAX], capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok (4, 3)")

"""The model zoo: `build(name, num_classes, ...)`, `available()`, `pretrained(name)`, `load(path)`.

Importing this package imports every builder module, which registers itself
(and its custom layers, which `load` needs).
"""

import os

import keras

from zoo.models import (  # noqa: F401  (registers the builders)
    audio_cnn,
    av_fusion,
    c3d,
    cnn_lstm,
    conv_lstm,
    frame_cnn,
    r2plus1d,
    temporal_transformer,
    timesformer,
    videoprism,
    vivit,
)
from zoo.models.attention import attention_maps, attention_model
from zoo.models.blocks import PIXELS, takes_pixels
from zoo.models.pretrained import card, pretrained
from zoo.models.registry import available, build, entry, register


def load(path: str | os.PathLike) -> keras.Model:
    """A model saved as `.keras` by the zoo (or by anyone, from Keras and zoo layers),
    uncompiled, loaded with Keras `safe_mode` on.

    A zoo video model saved before models scaled their own frames (it takes
    them in [0, 1], see `blocks.frames_input`) comes back behind a "pixels"
    layer, so it takes pixels in [0, 255] like every zoo model.
    """
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    names = [tensor.name for tensor in model.inputs]
    if "frames" not in names or takes_pixels(model):
        return model
    return _behind_pixels(model, names)


def _behind_pixels(model: keras.Model, names: list[str]) -> keras.Model:
    """`model`, whose "frames" input is in [0, 1], behind a "pixels" layer that takes [0, 255]."""
    inputs = [
        keras.Input(t.shape[1:], name=name) for t, name in zip(model.inputs, names, strict=True)
    ]
    scaled = [
        keras.layers.Rescaling(1 / 255, name=PIXELS)(x) if name == "frames" else x
        for x, name in zip(inputs, names, strict=True)
    ]
    if len(inputs) == 1:  # a single-input model takes a tensor, not a list
        inputs, scaled = inputs[0], scaled[0]
    return keras.Model(inputs, model(scaled), name=model.name)


__all__ = [
    "attention_maps",
    "attention_model",
    "available",
    "build",
    "card",
    "entry",
    "load",
    "pretrained",
    "register",
]

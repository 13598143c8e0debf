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
from zoo.models.pretrained import card, pretrained
from zoo.models.registry import available, build, entry, register


def load(path: str | os.PathLike) -> keras.Model:
    """A model saved as `.keras` by the zoo (or by anyone, from Keras and zoo layers),
    uncompiled, loaded with Keras `safe_mode` on."""
    return keras.saving.load_model(path, compile=False, safe_mode=True)


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

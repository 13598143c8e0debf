"""The model zoo: `build(name, num_classes, ...)`, `available()`, `pretrained(name)`.

Importing this package imports every builder module, which registers itself.
"""

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

__all__ = [
    "attention_maps",
    "attention_model",
    "available",
    "build",
    "card",
    "entry",
    "pretrained",
    "register",
]

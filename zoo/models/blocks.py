"""Small building blocks shared by several builders."""

from __future__ import annotations

import keras
from keras import layers


def frame_encoder(
    frame_shape: tuple[int, int, int], width: int = 16, depth: int = 4, embed_dim: int = 128,
    name: str = "frame_encoder",
) -> keras.Model:
    """A small 2D CNN from one frame `(H, W, C)` to an embedding `(embed_dim,)`.

    `depth` stride-2 convolutions (widths `width * 2**i`), then Flatten and Dense.
    Flatten, not global pooling, keeps *where* things are in the frame, which
    temporal models need to see motion.
    """
    inputs = keras.Input(frame_shape)
    x = inputs
    for i in range(depth):
        x = layers.Conv2D(width * 2**i, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(embed_dim, activation="relu")(x)
    return keras.Model(inputs, x, name=name)

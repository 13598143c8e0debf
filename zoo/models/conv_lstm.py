"""`conv_lstm`: a per-frame convolutional stem, then a stack of ConvLSTM2D layers."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, conv_bn_relu, frames_input
from zoo.models.registry import register


@register("conv_lstm")
def conv_lstm(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    filters: int = 32,
    depth: int = 2,
    dropout: float = 0.2,
) -> keras.Model:
    """ConvLSTM (Shi et al. 2015, "Convolutional LSTM Network").

    Three stride-2 convolutions shrink every frame by 8 (the same weights for
    every frame); `depth` ConvLSTM2D layers then carry a spatial memory across
    time, so the state keeps *where* things were and sees them move. The last
    state is pooled over space.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the per-frame stem (`width`, then `2 * width` twice).
        filters: channels of each ConvLSTM2D layer.
        depth: number of ConvLSTM2D layers.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, pixels = frames_input(input_shape)
    frame = keras.Input(input_shape[1:])
    stem = frame
    for i in range(3):
        stem = conv_bn_relu(stem, width * 2 ** min(i, 1), 3, 2)
    x = layers.TimeDistributed(keras.Model(frame, stem, name="stem"), name="per_frame")(pixels)
    for i in range(depth):
        last = i == depth - 1
        x = layers.ConvLSTM2D(
            filters, 3, padding="same", return_sequences=not last, name=f"conv_lstm_{i}"
        )(x)
        x = layers.BatchNormalization(name=f"conv_lstm_{i}_bn")(x)
    x = layers.GlobalAveragePooling2D(name="spatial_average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="conv_lstm")

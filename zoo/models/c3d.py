"""`c3d`: a small stack of 3x3x3 convolutions (C3D-style)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, conv_bn_relu, frames_input
from zoo.models.registry import register


@register("c3d")
def c3d(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 8,
    depth: int = 4,
    dropout: float = 0.2,
) -> keras.Model:
    """A small C3D (Tran et al. 2015, "Learning Spatiotemporal Features with 3D Convolutional Networks").

    `depth` 3x3x3 convolutions with batch norm (widths `width * 2**i`); the
    first one strides 2 in space and is followed by a 1x2x2 max pool (C3D
    keeps time whole in its first pool), each later one by a 2x2x2 max pool. 3D kernels see
    several frames at once, so they respond to motion directly. Global average
    pooling, then the classifier.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the first convolution; doubles at each stage.
        depth: number of convolutions.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    x = conv_bn_relu(x, width, 3, strides=(1, 2, 2), name="conv_0")
    x = layers.MaxPooling3D((1, 2, 2), name="pool_0")(x)
    for i in range(1, depth):
        x = conv_bn_relu(x, width * 2**i, 3, name=f"conv_{i}")
        x = layers.MaxPooling3D(2, padding="same", name=f"pool_{i}")(x)
    x = layers.GlobalAveragePooling3D(name="average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="c3d")

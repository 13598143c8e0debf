"""`r2plus1d`: a small ResNet of (2+1)D convolutions."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, frames_input
from zoo.models.registry import register


def _bn_relu(x: keras.KerasTensor, name: str, relu: bool = True) -> keras.KerasTensor:
    """Batch norm (momentum 0.9: with ~20 norms in a row the default 0.99 leaves the
    inference statistics unsettled after a short training run) and optional ReLU."""
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def conv2plus1d(
    x: keras.KerasTensor, filters: int, strides: tuple[int, int, int], name: str, relu: bool = True
) -> keras.KerasTensor:
    """A 3x3x3 convolution on `(B, T, H, W, C)` factorised into 1x3x3 (space) then 3x1x1 (time).

    The middle width follows Tran et al. 2018 (eq. 1 of the paper), so the pair
    has about as many parameters as the full 3D convolution it replaces. Both
    halves run as Conv2D (the time one on `(B, T, H W, C)` with a 3x1 kernel),
    which TensorFlow runs far faster on CPU than Conv3D.
    """
    steps, channels = x.shape[1], x.shape[-1]
    mid = (3 * 9 * channels * filters) // (9 * channels + 3 * filters)
    space = layers.Conv2D(mid, 3, strides=strides[1:], padding="same", use_bias=False)
    x = _bn_relu(layers.TimeDistributed(space, name=f"{name}_space")(x), f"{name}_space")
    height, width = x.shape[2:4]
    x = layers.Reshape((steps, height * width, mid), name=f"{name}_to_time")(x)
    x = layers.Conv2D(
        filters,
        (3, 1),
        strides=(strides[0], 1),
        padding="same",
        use_bias=False,
        name=f"{name}_time",
    )(x)
    x = layers.Reshape((x.shape[1], height, width, filters), name=f"{name}_from_time")(x)
    return _bn_relu(x, f"{name}_time", relu)


def residual_block(
    x: keras.KerasTensor, filters: int, strides: tuple[int, int, int], name: str
) -> keras.KerasTensor:
    """Two (2+1)D convolutions plus a shortcut.

    Where the shape changes, the shortcut average-pools by `strides` and
    projects with a 1x1 convolution (the "ResNet-D" shortcut of He et al. 2019).
    """
    shortcut = x
    if strides != (1, 1, 1):
        shortcut = layers.AveragePooling3D(strides, padding="same", name=f"{name}_pool")(shortcut)
    if strides != (1, 1, 1) or x.shape[-1] != filters:
        projection = layers.Conv2D(filters, 1, use_bias=False)
        shortcut = layers.TimeDistributed(projection, name=f"{name}_shortcut")(shortcut)
        shortcut = _bn_relu(shortcut, f"{name}_shortcut", relu=False)
    x = conv2plus1d(x, filters, strides, name=f"{name}_a")
    x = conv2plus1d(x, filters, (1, 1, 1), name=f"{name}_b", relu=False)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_out")(x)


@register("r2plus1d")
def r2plus1d(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    stages: int = 3,
    dropout: float = 0.2,
) -> keras.Model:
    """R(2+1)D (Tran et al. 2018, "A Closer Look at Spatiotemporal Convolutions for Action Recognition").

    A (2+1)D stem that strides 2 in space and a 1x2x2 max pool, then `stages` residual blocks of
    (2+1)D convolutions (widths `width * 2**i`; every stage after the first
    strides 2 in time and space), global average pooling and the classifier.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the stem and first stage; doubles at each stage.
        stages: number of residual blocks.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    x = conv2plus1d(x, width, (1, 2, 2), name="stem")
    x = layers.MaxPooling3D((1, 2, 2), name="stem_pool")(x)
    for i in range(stages):
        strides = (1, 1, 1) if i == 0 else (2, 2, 2)
        x = residual_block(x, width * 2**i, strides, name=f"stage_{i}")
    x = layers.GlobalAveragePooling3D(name="average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="r2plus1d")

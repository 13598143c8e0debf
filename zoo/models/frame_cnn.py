"""`frame_cnn`: a shared 2D CNN on every frame, then an average over time (TSN-style)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import frame_encoder
from zoo.models.registry import register


@register("frame_cnn")
def frame_cnn(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    embed_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """Frame CNN with temporal average pooling (Wang et al. 2016, "Temporal Segment Networks").

    Every frame goes through the same 2D CNN; the per-frame embeddings are
    averaged over time. The average forgets the order of the frames, so this
    model sees a clip as an unordered bag of frames and cannot tell motion
    direction apart from its reverse.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, frames in [0, 1].
        width: channels of the first convolution; doubles at each stage.
        embed_dim: size of each frame's embedding.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs = keras.Input(input_shape, name="frames")
    encoder = frame_encoder(input_shape[1:], width=width, embed_dim=embed_dim)
    x = layers.TimeDistributed(encoder, name="per_frame")(inputs)
    x = layers.GlobalAveragePooling1D(name="temporal_average")(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="frame_cnn")

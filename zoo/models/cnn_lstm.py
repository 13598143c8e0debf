"""`cnn_lstm`: a 2D CNN per frame feeding a recurrent layer (LRCN)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, frame_encoder, frames_input
from zoo.models.registry import register

RECURRENT = {"lstm": layers.LSTM, "gru": layers.GRU}


def lrcn_features(
    frames: keras.KerasTensor,
    width: int = 16,
    embed_dim: int = 128,
    units: int = 64,
    cell: str = "lstm",
    bidirectional: bool = False,
) -> keras.KerasTensor:
    """Frames `(B, T, H, W, 3)` to a clip feature `(B, units)` (`2 * units` if bidirectional)."""
    if cell not in RECURRENT:
        raise ValueError(f"cell must be 'lstm' or 'gru', not {cell!r}")
    encoder = frame_encoder(tuple(frames.shape[2:]), width=width, embed_dim=embed_dim)
    x = layers.TimeDistributed(encoder, name="per_frame")(frames)
    rnn = RECURRENT[cell](units, name=cell)
    return layers.Bidirectional(rnn, name=f"bi_{cell}")(x) if bidirectional else rnn(x)


@register("cnn_lstm")
def cnn_lstm(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    embed_dim: int = 128,
    units: int = 64,
    cell: str = "lstm",
    bidirectional: bool = False,
    dropout: float = 0.2,
) -> keras.Model:
    """CNN + LSTM (Donahue et al. 2015, "Long-term Recurrent Convolutional Networks").

    A shared 2D CNN embeds every frame; an LSTM (or GRU) reads the embeddings
    in order, so the model sees how the frames change: motion.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the first convolution; doubles at each stage.
        embed_dim: size of each frame's embedding.
        units: units of the recurrent layer.
        cell: "lstm" or "gru".
        bidirectional: read the sequence both ways.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    x = lrcn_features(x, width, embed_dim, units, cell, bidirectional)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="cnn_lstm")

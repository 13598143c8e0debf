"""Custom layers of the zoo, serializable under the "zoo" package (they load with `safe_mode`).

Only `keras.ops` inside, so they run on every Keras backend.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(layers.Layer):
    """Adds a learned embedding of shape `input_shape[1:]` to the input.

    For tokens `(B, L, D)` that is one vector per position; for `(B, T, N, D)`
    one per (frame, patch) pair. Output shape equals input shape.
    """

    def build(self, input_shape: tuple) -> None:
        self.embedding = self.add_weight(
            shape=tuple(input_shape[1:]),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="embedding",
        )

    def call(self, inputs):
        return inputs + ops.cast(self.embedding, inputs.dtype)


@keras.saving.register_keras_serializable(package="zoo")
class SelfAttention(layers.Layer):
    """Pre-norm multi-head self-attention with a residual connection, along axis -2.

    Input `(B, ..., L, D)`: every leading axis is treated as batch, so tokens
    `(B, T, N, D)` attend among the `N` tokens of each frame. Returns
    `(outputs (B, ..., L, D), scores (B, ..., heads, L, L))`; the scores are a
    real output of the layer so that `zoo.models.attention_maps` can read them.
    """

    def __init__(self, num_heads: int, key_dim: int, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.dropout = dropout
        self.norm = layers.LayerNormalization(epsilon=1e-6, name="norm")
        self.attention = layers.MultiHeadAttention(
            num_heads, key_dim, dropout=dropout, name="attention"
        )

    def build(self, input_shape: tuple) -> None:
        tokens = (None, *input_shape[-2:])
        self.norm.build(tokens)
        self.attention.build(tokens, tokens)

    def call(self, inputs, training=None):
        length, dim = inputs.shape[-2:]
        lead = ops.shape(inputs)[:-2]
        tokens = ops.reshape(inputs, (-1, length, dim))
        normed = self.norm(tokens)
        attended, scores = self.attention(
            normed, normed, return_attention_scores=True, training=training
        )
        outputs = ops.reshape(tokens + attended, ops.shape(inputs))
        scores = ops.reshape(scores, (*lead, self.num_heads, length, length))
        return outputs, scores

    def compute_output_shape(self, input_shape: tuple) -> tuple[tuple, tuple]:
        length = input_shape[-2]
        return tuple(input_shape), (*input_shape[:-2], self.num_heads, length, length)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "dropout": self.dropout,
        }

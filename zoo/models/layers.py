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


@keras.saving.register_keras_serializable(package="zoo")
class ResizeFrames(layers.Layer):
    """Resizes every frame of `(B, T, H, W, C)` to `(B, T, height, width, C)`, then `x * scale + offset`.

    Downscaling by a factor of 2 or more first averages blocks of pixels (so
    fine detail does not alias), then bilinear resizing gives the exact size;
    both compile under XLA. `scale` and `offset` are one value per channel;
    the defaults leave values as they are.
    """

    def __init__(
        self,
        size: tuple[int, int],
        scale: tuple[float, ...] = (1.0, 1.0, 1.0),
        offset: tuple[float, ...] = (0.0, 0.0, 0.0),
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.size = tuple(int(s) for s in size)
        self.scale = tuple(float(s) for s in scale)
        self.offset = tuple(float(o) for o in offset)

    def call(self, inputs):
        steps, height, width, channels = inputs.shape[1:]
        images = ops.reshape(inputs, (-1, height, width, channels))
        block = (max(height // self.size[0], 1), max(width // self.size[1], 1))
        if block != (1, 1):
            images = ops.average_pool(images, block, strides=block, padding="valid")
        if tuple(images.shape[1:3]) != self.size:
            images = ops.image.resize(images, self.size, interpolation="bilinear")
        images = images * ops.cast(self.scale, images.dtype) + ops.cast(self.offset, images.dtype)
        return ops.reshape(images, (-1, steps, *self.size, channels))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[1], *self.size, input_shape[-1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": self.size,
            "scale": self.scale,
            "offset": self.offset,
        }


@keras.saving.register_keras_serializable(package="zoo")
class AttentivePooling(layers.Layer):
    """Attentive pooling: one learned query attends over all tokens, `(B, L, D)` to `(B, D)`.

    The probe of the VideoPrism paper (Zhao et al. 2024, after V-JEPA's
    attentive probe): multi-head cross-attention from a learned query vector to
    the tokens, then layer normalisation. Unlike a mean, it can weigh the few
    tokens where the action is.
    """

    def __init__(self, num_heads: int = 4, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.dropout = dropout
        self.norm = layers.LayerNormalization(epsilon=1e-6, name="norm")

    def build(self, input_shape: tuple) -> None:
        dim = input_shape[-1]
        if dim % self.num_heads:
            raise ValueError(f"token width {dim} is not divisible by num_heads={self.num_heads}")
        self.query = self.add_weight(
            shape=(1, 1, dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="query",
        )
        self.attention = layers.MultiHeadAttention(
            self.num_heads, dim // self.num_heads, dropout=self.dropout, name="attention"
        )
        self.attention.build((None, 1, dim), (None, *input_shape[1:]))
        self.norm.build((None, 1, dim))

    def call(self, inputs, training=None):
        query = ops.broadcast_to(
            ops.cast(self.query, inputs.dtype), (ops.shape(inputs)[0], 1, inputs.shape[-1])
        )
        pooled = self.attention(query, inputs, training=training)
        return self.norm(pooled)[:, 0, :]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_heads": self.num_heads, "dropout": self.dropout}

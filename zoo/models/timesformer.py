"""`timesformer`: patch tokens and Transformer blocks with divided space-time attention."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, feed_forward, frames_input, tubelets
from zoo.models.layers import PositionEmbedding, SelfAttention
from zoo.models.registry import register


def divided_block(
    tokens: keras.KerasTensor, num_heads: int, mlp_dim: int, dropout: float, name: str
) -> keras.KerasTensor:
    """One TimeSformer block on `(B, T, N, D)`: time attention, space attention, MLP.

    Time attention lets each patch attend to the same patch position in the
    other frames (scores `(B, N, heads, T, T)`, layer `{name}_time_attention`);
    space attention then works within each frame (scores `(B, T, heads, N, N)`,
    layer `{name}_space_attention`).
    """
    key_dim = tokens.shape[-1] // num_heads
    x = layers.Permute((2, 1, 3), name=f"{name}_to_time")(tokens)
    x, _ = SelfAttention(num_heads, key_dim, dropout, name=f"{name}_time_attention")(x)
    x = layers.Permute((2, 1, 3), name=f"{name}_to_space")(x)
    x, _ = SelfAttention(num_heads, key_dim, dropout, name=f"{name}_space_attention")(x)
    return feed_forward(x, mlp_dim, dropout, name)


@register("timesformer")
def timesformer(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    patch: int = 16,
    dim: int = 64,
    depth: int = 2,
    num_heads: int = 4,
    mlp_dim: int = 128,
    dropout: float = 0.1,
) -> keras.Model:
    """TimeSformer, divided space-time attention (Bertasius et al. 2021, "Is Space-Time Attention All You Need for Video Understanding?").

    Every frame is cut into `N = H W / patch^2` patches, embedded linearly,
    plus a learned space-time position embedding: tokens `(B, T, N, D)`.
    Each of the `depth` blocks applies temporal attention, then spatial
    attention, then an MLP (see `divided_block`). The paper's class token is
    replaced by the average of all tokens.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`); H and W divisible by `patch`.
        patch: patch side in pixels.
        dim: token width.
        depth: number of divided space-time blocks.
        num_heads: attention heads (`dim` must divide by it).
        mlp_dim: hidden width of each block's MLP.
        dropout: dropout in the blocks and before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    x = tubelets(x, (1, patch, patch), dim, name="patch_embedding")
    x = PositionEmbedding(name="space_time_embedding")(x)
    for i in range(depth):
        x = divided_block(x, num_heads, mlp_dim, dropout, name=f"block_{i}")
    x = layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    x = layers.Reshape((-1, dim), name="all_tokens")(x)
    x = layers.GlobalAveragePooling1D(name="token_average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="timesformer")

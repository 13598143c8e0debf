"""`temporal_transformer`: frame embeddings, a position embedding and a Transformer encoder."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, frame_encoder, frames_input, transformer_block
from zoo.models.layers import PositionEmbedding
from zoo.models.registry import register


@register("temporal_transformer")
def temporal_transformer(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    embed_dim: int = 128,
    dim: int = 64,
    depth: int = 2,
    num_heads: int = 4,
    mlp_dim: int = 128,
    dropout: float = 0.1,
) -> keras.Model:
    """A Transformer over per-frame CNN embeddings (as in Vaswani et al. 2017, applied to frames).

    A shared 2D CNN (`frame_encoder`, which keeps position by flattening)
    embeds every frame into a token; a learned position embedding tells the
    encoder the order of the frames; `depth` pre-norm encoder blocks attend
    across time; the tokens are averaged. Attention scores of block `i`
    (layer `block_{i}_attention`) have shape `(B, heads, T, T)`.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the first convolution of the frame CNN.
        embed_dim: size of each frame's CNN embedding.
        dim: token width of the encoder.
        depth: number of encoder blocks.
        num_heads: attention heads (`dim` must divide by it).
        mlp_dim: hidden width of each block's MLP.
        dropout: dropout in the blocks and before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    encoder = frame_encoder(input_shape[1:], width=width, embed_dim=embed_dim)
    x = layers.TimeDistributed(encoder, name="per_frame")(x)
    x = layers.Dense(dim, name="token_projection")(x)
    x = PositionEmbedding(name="time_embedding")(x)
    for i in range(depth):
        x = transformer_block(x, num_heads, mlp_dim, dropout, name=f"block_{i}")
    x = layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    x = layers.GlobalAveragePooling1D(name="temporal_average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="temporal_transformer")

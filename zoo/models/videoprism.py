"""`videoprism`: KerasHub's VideoPrism video encoder with a mean or attentive probe on top.

    model = build("videoprism", 10, input_shape=(16, 288, 288, 3),
                  preset="videoprism_public_v1_base")      # or a local preset folder
    model = build("videoprism", 4)                          # a small random backbone

The model is one functional graph, frames -> "preprocess" -> backbone ->
"embedding" -> head -> "probabilities". `embedding_model(model)` and
`head_model(model)` cut it at the "embedding" layer: `zoo embed` runs the
first once over a data set, `zoo train --features` trains the second on what
it wrote, and the head's layers are the model's own, so the trained model is
saved whole.

KerasHub is imported when a VideoPrism is built, not with this module: the
other builders of `zoo.models` import without it (on a machine with Keras
and JAX alone, say).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
from keras import layers

from zoo.models.blocks import classifier, frames_input
from zoo.models.layers import AttentivePooling, ResizeFrames
from zoo.models.registry import register

if TYPE_CHECKING:
    import keras_hub

HEADS = ("mean", "attentive")
EMBEDDING = "embedding"  # the layer whose output `zoo embed` stores

# The published video-only encoders (VideoPrism paper, table 9; KerasHub presets).
BASE = dict(
    num_frames=16,
    image_size=288,
    patch_size=18,
    hidden_dim=768,
    intermediate_dim=3072,
    num_heads=12,
    num_spatial_layers=12,
    num_temporal_layers=4,
)
LARGE = {**BASE, "hidden_dim": 1024, "intermediate_dim": 4096, "num_heads": 16}
LARGE["num_spatial_layers"] = 24


def random_backbone(
    num_frames: int,
    image_size: int = 64,
    patch_size: int = 8,
    hidden_dim: int = 64,
    intermediate_dim: int = 128,
    num_heads: int = 4,
    num_spatial_layers: int = 2,
    num_temporal_layers: int = 2,
) -> keras_hub.models.VideoPrismBackbone:
    """A randomly initialised video-only `VideoPrismBackbone` of the given sizes.

    `random_backbone(**BASE)` is the architecture of `videoprism_public_v1_base`.
    Input `(B, num_frames, image_size, image_size, 3)`, output
    `(B, num_frames, (image_size / patch_size)**2, hidden_dim)`.
    """
    import keras_hub

    return keras_hub.models.VideoPrismBackbone(
        num_frames=num_frames,
        patch_size=patch_size,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim,
        num_heads=num_heads,
        num_spatial_layers=num_spatial_layers,
        num_temporal_layers=num_temporal_layers,
        num_auxiliary_layers=0,
        image_shape=(image_size, image_size, 3),
    )


def preset_scale_offset(preset: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel `(scale, offset)` that take frames in [0, 1] to what `preset` expects.

    A preset with an image converter (`image_converter.json`) states it for
    pixels in [0, 255]; without one, VideoPrism takes frames in [0, 1] as
    they are (the convention of its released checkpoints).
    """
    import keras_hub
    from keras_hub.src.utils.preset_utils import IMAGE_CONVERTER_CONFIG_FILE, check_file_exists

    if not check_file_exists(preset, IMAGE_CONVERTER_CONFIG_FILE):
        return (1.0,) * 3, (0.0,) * 3
    converter = keras_hub.layers.VideoPrismImageConverter.from_preset(preset)

    def per_channel(value, default: float) -> tuple[float, ...]:
        value = default if value is None else value
        return tuple(float(v) for v in (value if isinstance(value, list | tuple) else [value] * 3))

    scale = per_channel(converter.scale, 1.0)
    return tuple(255.0 * s for s in scale), per_channel(converter.offset, 0.0)


def freeze(
    backbone: keras_hub.models.VideoPrismBackbone,
    trainable: bool = False,
    unfreeze_spatial: int = 0,
    unfreeze_temporal: int = 0,
) -> None:
    """Sets what trains: everything (`trainable`), nothing, or only the last blocks.

    With `trainable=False`, the last `unfreeze_spatial` blocks of the spatial
    encoder and the last `unfreeze_temporal` blocks of the temporal encoder
    train (each with its encoder's final layer norm); the patch and position
    embeddings and every other block stay frozen.
    """
    # Undo what an earlier call froze: setting the backbone's own flag alone leaves
    # sublayers that were set to False as they are when the flag is already True.
    backbone.trainable = True
    for layer in backbone._flatten_layers(include_self=False):
        layer.trainable = True
    if trainable:
        return
    encoders = {
        backbone.spatial_encoder.name: (backbone.spatial_encoder, unfreeze_spatial),
        backbone.temporal_encoder.name: (backbone.temporal_encoder, unfreeze_temporal),
    }
    for layer in backbone.layers:
        if layer.name not in encoders:
            layer.trainable = False
    for encoder, count in encoders.values():
        blocks = encoder.encoder_layers
        if not 0 <= count <= len(blocks):
            raise ValueError(f"{encoder.name} has {len(blocks)} blocks; cannot unfreeze {count}")
        for i, block in enumerate(blocks):
            block.trainable = i >= len(blocks) - count
        encoder.layer_norm.trainable = count > 0
    if not unfreeze_spatial and not unfreeze_temporal:
        backbone.trainable = False


@register("videoprism")
def videoprism(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    preset: str | None = None,
    trainable: bool = False,
    head: str = "attentive",
    unfreeze_spatial: int = 0,
    unfreeze_temporal: int = 0,
    dropout: float = 0.0,
    image_size: int = 64,
    patch_size: int = 8,
    hidden_dim: int = 64,
    intermediate_dim: int = 128,
    num_heads: int = 4,
    num_spatial_layers: int = 2,
    num_temporal_layers: int = 2,
) -> keras.Model:
    """VideoPrism (Zhao et al. 2024, "VideoPrism: A Foundational Visual Encoder for Video
    Understanding") from KerasHub, with a probe.

    The backbone is a factorised ViT: a spatial Transformer over the patches
    of each frame, then a temporal one over the frames at each patch
    position; its output is one token per (frame, patch), `(B, T, N, D)`.
    Frames are resized to the backbone's size and scaled as its preset expects
    inside the model ("preprocess"). The head sees the `T * N` tokens:

    - "mean": their mean ("embedding", `(B, D)`), then a linear classifier;
    - "attentive": the tokens ("embedding", `(B, T N, D)`), pooled by one
      learned query attending over all of them (`AttentivePooling`), then a
      linear classifier: the paper's frozen-encoder probe.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] at any H and W. `T`
            must equal the backbone's frame count (16 for the presets).
        preset: a KerasHub preset name ("videoprism_public_v1_base", 114 M
            parameters; "videoprism_public_v1_large", 354 M; they download
            from Kaggle) or a local preset folder (`save_to_preset`). None
            builds a random backbone from the sizes below.
        trainable: train the whole backbone (fine-tuning); False freezes it.
        head: "attentive" or "mean".
        unfreeze_spatial: with `trainable=False`, the last spatial blocks that train.
        unfreeze_temporal: with `trainable=False`, the last temporal blocks that train.
        dropout: before the classifier (and in the attentive pooling).
        image_size: frame size of a random backbone (preset=None only, as
            every size below).
        patch_size: patch height and width; `image_size` divides by it.
        hidden_dim: token width `D`.
        intermediate_dim: hidden width of each block's MLP.
        num_heads: attention heads of the backbone and of the attentive head.
        num_spatial_layers: blocks of the spatial encoder.
        num_temporal_layers: blocks of the temporal encoder.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, not {head!r}")
    steps = input_shape[0]
    if preset is None:
        backbone = random_backbone(
            steps,
            image_size,
            patch_size,
            hidden_dim,
            intermediate_dim,
            num_heads,
            num_spatial_layers,
            num_temporal_layers,
        )
        scale, offset = (1.0,) * 3, (0.0,) * 3
    else:
        import keras_hub

        backbone = keras_hub.models.VideoPrismBackbone.from_preset(preset)
        scale, offset = preset_scale_offset(preset)
    if backbone.num_text_layers:
        raise ValueError(
            f"{preset}: a video-text preset; use a video-only one (videoprism_public_*)"
        )
    if backbone.num_frames != steps:
        raise ValueError(
            f"the backbone takes clips of {backbone.num_frames} frames, not {steps}: "
            f"use --clip-len {backbone.num_frames}"
        )
    freeze(backbone, trainable, unfreeze_spatial, unfreeze_temporal)

    frames, x = frames_input(input_shape)
    x = ResizeFrames(backbone.image_shape[:2], scale, offset, name="preprocess")(x)
    tokens = backbone(x)
    _, t, n, dim = tokens.shape
    tokens = layers.Reshape((t * n, dim), name="tokens" if head == "mean" else EMBEDDING)(tokens)
    if head == "mean":
        x = layers.GlobalAveragePooling1D(name=EMBEDDING)(tokens)
    else:
        x = AttentivePooling(backbone.num_heads, dropout, name="attentive_pooling")(tokens)
    return keras.Model(frames, classifier(x, num_classes, dropout), name=f"videoprism_{head}")


def embedding_model(model: keras.Model) -> keras.Model:
    """The part of a `videoprism` model up to "embedding": frames to what its head takes."""
    return keras.Model(model.inputs, model.get_layer(EMBEDDING).output, name="embedder")


def head_model(model: keras.Model) -> keras.Model:
    """The part after "embedding": embeddings to probabilities. Shares the model's layers."""
    return keras.Model(model.get_layer(EMBEDDING).output, model.outputs, name="head")

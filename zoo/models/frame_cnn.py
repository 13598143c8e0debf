"""`frame_cnn`: a shared 2D CNN on every frame, then an average over time (TSN-style)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, frame_encoder, frames_input
from zoo.models.registry import register

# backbone option -> keras.applications constructor. Both expect pixels in [0, 255]
# and rescale inside, so the backbone multiplies the model's scaled frames by 255 again.
BACKBONES = {
    "mobilenet_v3_small": keras.applications.MobileNetV3Small,
    "efficientnet_b0": keras.applications.EfficientNetB0,
}


def _backbone(name: str, frame_shape: tuple[int, int, int], weights: str | None) -> keras.Model:
    """A keras.applications backbone from one frame in [0, 1] to a pooled feature vector."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
    net = BACKBONES[name](
        input_shape=frame_shape, include_top=False, weights=weights, pooling="avg"
    )
    inputs = keras.Input(frame_shape)
    x = layers.Rescaling(255.0)(inputs)
    return keras.Model(inputs, net(x), name=f"{name}_encoder")


@register("frame_cnn")
def frame_cnn(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    width: int = 16,
    embed_dim: int = 128,
    dropout: float = 0.2,
    backbone: str | None = None,
    weights: str | None = None,
) -> keras.Model:
    """Frame CNN with temporal average pooling (Wang et al. 2016, "Temporal Segment Networks").

    Every frame goes through the same 2D CNN; the per-frame embeddings are
    averaged over time. The average forgets the order of the frames, so this
    model sees a clip as an unordered bag of frames and cannot tell motion
    direction apart from its reverse.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        width: channels of the first convolution of the small encoder; doubles at each stage.
        embed_dim: size of each frame's embedding (small encoder).
        dropout: dropout rate before the classifier.
        backbone: None for the small `frame_encoder`, or a `keras.applications`
            network: "mobilenet_v3_small" or "efficientnet_b0" (frames at least 32x32).
        weights: backbone weights: None (random), "imagenet" (Keras downloads
            them unless they are in `~/.keras/models`) or the path of a weights file.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    if backbone is None:
        encoder = frame_encoder(input_shape[1:], width=width, embed_dim=embed_dim)
    else:
        encoder = _backbone(backbone, input_shape[1:], weights)
    x = layers.TimeDistributed(encoder, name="per_frame")(x)
    x = layers.GlobalAveragePooling1D(name="temporal_average")(x)
    outputs = classifier(x, num_classes, dropout)
    return keras.Model(inputs, outputs, name="frame_cnn")

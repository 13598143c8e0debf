"""ONNX export with tf2onnx, for onnxruntime.

The `.onnx` model is the bare network with an open batch: input `frames`
float32 `(batch, T, size, size, 3)`, pixels in [0, 255] (preprocess with
`zoo.data.transforms.preprocess_clip`), output `probabilities`. The model's
metadata (`InferenceSession.get_modelmeta().custom_metadata_map`) holds the
clip settings under `clip`, the JSON object of `zoo.export.clip`, and the
class names, when given, under `labels`, one per line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from zoo.atomic import atomic_output
from zoo.export.clip import ClipSettings
from zoo.export.signature import check_clip, check_labels, model_function

OPSET = 17


def _erfc_as_erf(ctx, node, name: str, args: list) -> None:
    """tf2onnx handler for TF's `Erfc` (used by exact GELU), which ONNX lacks: `1 - Erf(x)`."""
    from tf2onnx import utils

    node.type = "Erf"
    dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.output[0]))
    one = ctx.make_const(utils.make_name(f"{name}_one"), np.ones((), dtype))
    ctx.insert_new_node_on_output("Sub", node.output[0], inputs=[one.output[0], node.output[0]])


def onnx(
    model: keras.Model,
    path: str | os.PathLike,
    labels: Sequence[str] | None = None,
    clip: ClipSettings | None = None,
) -> Path:
    """Writes `model` as an ONNX file at `path`, atomically, with `labels` and `clip` as metadata.

    `clip` defaults to the model's `T` and `size`, every 2nd frame, one clip.
    """
    import tf2onnx  # the optional `export` extra

    metadata = {"clip": (check_clip(model, clip)).to_json()}
    if labels is not None:
        metadata["labels"] = "\n".join(check_labels(model, labels))

    function = model_function(model)
    proto, _ = tf2onnx.convert.from_function(
        function,
        input_signature=function.input_signature,
        opset=OPSET,
        custom_op_handlers={"Erfc": (_erfc_as_erf, [])},
    )
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())
    return path

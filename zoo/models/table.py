"""The zoo table: name, task, parameters, FLOPs, CPU latency and accuracy of every model.

`zoo models` prints it and `zoo models --markdown` writes `docs/model_zoo.md`,
both from `rows()`. Each model is built as its model card says when it ships
weights (else with its defaults and 4 classes).

FLOPs are counted analytically, per clip (batch 1), as 2 x the multiply-adds
of convolutions, dense projections, recurrent cells (every time step) and
attention (projections plus the two `L x L` products); activations,
normalisation, pooling and additions are left out (a few percent at most).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from typing import TYPE_CHECKING

import keras
import numpy as np
from keras import layers

from zoo.models.layers import AttentivePooling, SelfAttention
from zoo.models.pretrained import DATASETS, WEIGHTS_DIR, build_from_card, card, card_path
from zoo.models.registry import available, build, entry

if TYPE_CHECKING:
    from keras_hub.models import VideoPrismBackbone

_GATES = {layers.LSTM: 4, layers.GRU: 3, layers.SimpleRNN: 1}


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the zoo table."""

    name: str
    task: str
    input_shape: str
    params: int
    flops: int
    latency_ms: float | None
    accuracy: dict[str, float | None]  # test accuracy of the shipped weights, by data set
    train_seconds: dict[str, float | None]  # what training them took, by data set


def _shape(tensor) -> tuple[int, ...]:
    """A layer input's shape without the batch axis."""
    return tuple(tensor.shape[1:])


def _block_macs(length: int, dim: int, mlp_dim: int) -> int:
    """Multiply-adds of one Transformer block on `length` tokens: projections, scores, MLP."""
    return 4 * length * dim * dim + 2 * length * length * dim + 2 * length * dim * mlp_dim


def videoprism_flops(backbone: VideoPrismBackbone) -> int:
    """FLOPs of a video-only `VideoPrismBackbone` on one clip (its layers fold frames into the
    batch, so they are counted from its sizes): patch embedding, then each spatial block on
    the `N` patches of every frame and each temporal block on the `T` frames of every patch."""
    frames, patch, dim = backbone.num_frames, backbone.patch_size, backbone.hidden_dim
    height, width, channels = backbone.image_shape
    patches = (height // patch) * (width // patch)
    macs = frames * patches * patch * patch * channels * dim
    macs += (
        frames * backbone.num_spatial_layers * _block_macs(patches, dim, backbone.intermediate_dim)
    )
    macs += (
        patches * backbone.num_temporal_layers * _block_macs(frames, dim, backbone.intermediate_dim)
    )
    return 2 * macs


def _is_videoprism(layer: keras.Layer) -> bool:
    """Whether `layer` is a KerasHub `VideoPrismBackbone` (without importing KerasHub: such
    a layer exists only once it is imported)."""
    hub = sys.modules.get("keras_hub")
    return hub is not None and isinstance(layer, hub.models.VideoPrismBackbone)


def layer_flops(layer: keras.Layer, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> int:
    """FLOPs of one call of `layer` on one example with the given shapes (no batch axis)."""
    if _is_videoprism(layer):
        return videoprism_flops(layer)
    if isinstance(layer, keras.Model):
        return model_flops(layer)
    if isinstance(layer, layers.TimeDistributed):
        inner = layer.layer
        if isinstance(inner, keras.Model):
            return inputs[0] * model_flops(inner)
        return inputs[0] * layer_flops(inner, inputs[1:], outputs[1:])
    if isinstance(layer, layers.Bidirectional):
        return 2 * layer_flops(layer.forward_layer, inputs, outputs[:-1] + (outputs[-1] // 2,))
    if isinstance(layer, layers.DepthwiseConv2D):
        return 2 * math.prod(outputs) * math.prod(layer.kernel_size)
    if isinstance(layer, layers.ConvLSTM2D):
        steps, channels, cells = inputs[0], inputs[-1], math.prod(outputs[-3:-1])
        kernel = math.prod(layer.kernel_size)
        return 2 * steps * 4 * cells * layer.filters * kernel * (channels + layer.filters)
    if hasattr(layer, "kernel_size") and hasattr(layer, "filters"):  # Conv1D/2D/3D
        return 2 * math.prod(outputs) * math.prod(layer.kernel_size) * inputs[-1] // layer.groups
    if isinstance(layer, layers.Dense):
        return 2 * math.prod(inputs) * layer.units
    for recurrent, gates in _GATES.items():
        if isinstance(layer, recurrent):
            units = layer.units
            return 2 * inputs[0] * gates * (inputs[-1] + units) * units
    if isinstance(layer, SelfAttention):
        length, dim = inputs[-2:]
        width = layer.num_heads * layer.key_dim
        sequences = math.prod(inputs[:-2])
        return 2 * sequences * (4 * length * dim * width + 2 * length * length * width)
    if isinstance(layer, AttentivePooling):  # one query: its and the output projection,
        length, dim = inputs[-2:]  # keys and values of every token, one row of scores
        return 2 * (2 * dim * dim + 2 * length * dim * dim + 2 * length * dim)
    return 0


def model_flops(model: keras.Model) -> int:
    """FLOPs of one forward pass of a functional `model` on one example (see module doc)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = layer.input[0] if isinstance(layer.input, list) else layer.input
        outputs = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        total += layer_flops(layer, _shape(inputs), _shape(outputs))
    return total


def latency_ms(model: keras.Model, repeats: int = 20) -> float:
    """Median CPU wall time of `predict_on_batch` on one random example, in milliseconds."""
    rng = np.random.default_rng(0)
    x = [rng.random((1, *_shape(i)), dtype=np.float32) for i in model.inputs]
    x = x[0] if len(x) == 1 else x
    model.predict_on_batch(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def reference_model(name: str) -> keras.Model:
    """The model the table describes: as its `moving_digits` card says, else its defaults."""
    if not card_path(name).exists():
        return build(name, 4)
    return build_from_card(card(name))


def shipped_cards(name: str) -> dict[str, dict | None]:
    """`name`'s model card on each built-in data set (None: no weights shipped)."""
    return {
        dataset: card(name, dataset) if card_path(name, dataset).exists() else None
        for dataset in DATASETS
    }


def rows(names: list[str] | None = None, latency: bool = True) -> list[Row]:
    """The zoo table, one `Row` per model (all registered models by default)."""
    table = []
    for name in names or available():
        model = reference_model(name)
        cards = shipped_cards(name)
        shapes = " + ".join("x".join(map(str, _shape(i))) for i in model.inputs)
        table.append(
            Row(
                name,
                entry(name).task,
                shapes,
                model.count_params(),
                model_flops(model),
                latency_ms(model) if latency else None,
                {dataset: c and c["accuracy"] for dataset, c in cards.items()},
                {dataset: c and c["train_seconds"] for dataset, c in cards.items()},
            )
        )
    return table


HEADER = ("model", "task", "input", "params", "GFLOPs/clip", "CPU ms/clip", *DATASETS)


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.name,
        row.task,
        row.input_shape,
        f"{row.params:,}",
        f"{row.flops / 1e9:.3f}",
        "-" if row.latency_ms is None else f"{row.latency_ms:.1f}",
        *(
            "-" if accuracy is None else f"{100 * accuracy:.1f} % in {seconds:.0f} s"
            for accuracy, seconds in zip(
                row.accuracy.values(), row.train_seconds.values(), strict=True
            )
        ),
    )


def format_json(table: list[Row]) -> str:
    """The table as a JSON list: name, task, params, gflops, cpu_ms, and accuracy and
    train_seconds by data set."""
    return json.dumps(
        [
            {
                "name": row.name,
                "task": row.task,
                "input": row.input_shape,
                "params": row.params,
                "gflops": round(row.flops / 1e9, 4),
                "cpu_ms": None if row.latency_ms is None else round(row.latency_ms, 2),
                "accuracy": row.accuracy,
                "train_seconds": row.train_seconds,
            }
            for row in table
        ],
        indent=2,
    )


def format_text(table: list[Row]) -> str:
    """The table as aligned plain text."""
    cells = [HEADER, *(_cells(r) for r in table)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    )


def weights_folder_size() -> str:
    """One sentence on what the shipped weights weigh: they are in every installed copy."""
    files = [path for path in WEIGHTS_DIR.iterdir() if path.suffix in (".h5", ".json")]
    weights = sum(path.suffix == ".h5" for path in files)
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    return (
        f"`zoo/models/weights/` holds {weights} weight files and their cards, "
        f"{megabytes:.1f} MB in all, installed with the package."
    )


def format_markdown(table: list[Row]) -> str:
    """`docs/model_zoo.md`: a short explanation and the table in Markdown."""
    lines = [
        "# Model zoo",
        "",
        "Generated by `zoo models --markdown > docs/model_zoo.md` (code: `zoo/models/table.py`);",
        "do not edit by hand. `tests/models/test_table.py` checks the model and params columns.",
        "",
        "- **params**: trainable and non-trainable, as built for the accuracy column "
        "(the model card's options; else the builder's defaults and 4 classes).",
        "- **GFLOPs/clip**: counted analytically at batch 1: 2 x multiply-adds of convolutions, "
        "dense layers, recurrent cells (every step) and attention; element-wise ops are left out.",
        "- **CPU ms/clip**: median `predict_on_batch` time at batch 1 on the machine that wrote "
        "this file (2 shared cores); a rough guide only.",
        "- **moving_digits**, **digit_events**: top-1 on the test split of each built-in data "
        "set and the seconds training took (2 CPU cores), from the model cards in "
        "`zoo/models/weights/` (`-`: no weights shipped). "
        "`moving_digits` is the direction task (4 classes, chance 25 %); `digit_events` has "
        "12 events told apart only by frame order (chance 8.3 %, "
        "[card](datasets/digit_events.md)). `zoo.models.pretrained(name, dataset)` loads them.",
        "",
        "```python",
        "from zoo.models import attention_maps, build, card, pretrained",
        'model = pretrained("timesformer")   # shipped weights; classes: card("timesformer")["class_names"]',
        'model = build("vivit", num_classes=10, input_shape=(8, 64, 64, 3), dim=128)',
        "maps = attention_maps(model, clip)  # layer name -> scores (B, ..., heads, L, L)",
        "```",
        "",
        "The weights are retrained by `python scripts/train_zoo_weights.py [NAME...]` "
        "(recipe: `zoo.models.recipe.Recipe`; each card records the command and date). "
        f"{weights_folder_size()}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(" --- " for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in table]
    return "\n".join(lines) + "\n"

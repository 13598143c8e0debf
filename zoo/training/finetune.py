"""Fine-tuning: start a new model from the weights of a trained one.

    source, source_classes = load_source("pretrained:cnn_lstm")   # or a run, or a .keras file
    copied = transfer_weights(net, source, source_classes, class_names)
    freeze(copied)                                                # train the head first

Layers are paired in order (the same builder makes the same layers in the
same order, whatever names Keras gave them in another process), or by name
when the two models differ in structure. A layer takes the weights of its
partner when every weight has the same shape. The classifier (the last
layer with weights) is taken only when both models have the same class
names; otherwise it keeps its fresh weights, rebuilt for the new classes.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from zoo.models.pretrained import shipped_name
from zoo.training.run import RunDir


def resolve_init(source: str | os.PathLike) -> str:
    """`source` as stored in a run's config: `pretrained:NAME`, or an absolute path."""
    text = os.fspath(source)
    return text if shipped_name(text) is not None else str(Path(text).absolute())


def load_source(source: str) -> tuple[keras.Model, list[str] | None]:
    """The model to start from and its class names (None when unknown).

    Args:
        source: `pretrained:NAME` (weights shipped with zoo, see
            `zoo.models.pretrained`), a run folder, or a `.keras` file (class
            names from a `labels.txt` beside it, if there is one).
    """
    from zoo import models
    from zoo.models.pretrained import card, pretrained

    name = shipped_name(source)
    if name is not None:
        return pretrained(name), list(card(name)["class_names"])
    path = Path(source)
    if path.is_dir() and RunDir(path).model.is_file():
        model_file, labels = RunDir(path).model, RunDir(path).labels
    elif path.suffix == ".keras" and path.is_file():
        model_file, labels = path, path.with_name("labels.txt")
    else:
        raise FileNotFoundError(
            f"--init {source}: expected a run folder, a .keras file or pretrained:NAME"
        )
    model = models.load(model_file)
    return model, labels.read_text().splitlines() if labels.is_file() else None


def _with_weights(model: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if layer.weights]


def _pairs(
    target: keras.Model, source: keras.Model
) -> list[tuple[keras.layers.Layer, keras.layers.Layer]]:
    """Target layers with their source partners: by position when the structures agree, else by name."""
    mine, theirs = _with_weights(target), _with_weights(source)
    if [type(a) for a in mine] == [type(b) for b in theirs]:
        return list(zip(mine, theirs, strict=True))
    by_name = {layer.name: layer for layer in theirs}
    return [(layer, by_name[layer.name]) for layer in mine if layer.name in by_name]


def _shapes(layer: keras.layers.Layer) -> list[tuple[int, ...]]:
    return [tuple(w.shape) for w in layer.weights]


def transfer_weights(
    target: keras.Model,
    source: keras.Model,
    source_classes: list[str] | None,
    class_names: list[str],
) -> list[keras.layers.Layer]:
    """Copies into `target` the weights of every `source` layer that fits; returns the layers set.

    Raises:
        ValueError: no layer fits (another architecture, or other builder options).
    """
    head = _with_weights(target)[-1]
    same_classes = source_classes is not None and list(source_classes) == list(class_names)
    copied = []
    for mine, theirs in _pairs(target, source):
        if mine is head and not same_classes:
            continue
        if _shapes(mine) == _shapes(theirs):
            mine.set_weights(theirs.get_weights())
            copied.append(mine)
    if not copied:
        raise ValueError(
            f"no layer of {source.name!r} fits {target.name!r}: start from the same model "
            "with the same options (input shape included)"
        )
    return copied


def freeze(layers: list[keras.layers.Layer]) -> None:
    """Makes `layers` untrainable; `Unfreeze` makes them trainable again later."""
    for layer in layers:
        layer.trainable = False


class Unfreeze(keras.callbacks.Callback):
    """Trains the whole model from epoch `at_epoch` on (0-based), after a head-only start.

    The optimizer must have been built on every variable that will train
    (`model.optimizer.build(model.trainable_variables)` before `freeze`), so
    that a run resumed after the switch restores the same optimizer state.
    """

    def __init__(self, layers: list[keras.layers.Layer], at_epoch: int):
        super().__init__()
        self.layers, self.at_epoch = layers, at_epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch >= self.at_epoch and not all(layer.trainable for layer in self.layers):
            for layer in self.layers:
                layer.trainable = True
            self.model.make_train_function(force=True)
            print(f"epoch {epoch + 1}: training every layer from now on", flush=True)


def start_from(
    net: keras.Model, init: str, freeze_epochs: int, class_names: list[str]
) -> list[keras.callbacks.Callback]:
    """Initialises the compiled `net` from `init`; with `freeze_epochs`, only its new
    layers train at first. Returns the callbacks that `fit` needs for that."""
    source, source_classes = load_source(init)
    copied = transfer_weights(net, source, source_classes, class_names)
    total = len(_with_weights(net))
    print(f"initialised {len(copied)} of {total} layers from {init}", flush=True)
    if not freeze_epochs:
        return []
    net.optimizer.build(net.trainable_variables)  # every variable, frozen ones included
    freeze(copied)
    return [Unfreeze(copied, freeze_epochs)]

"""The model registry: every builder registers itself under a name.

    @register("cnn_lstm", task="video")
    def cnn_lstm(num_classes, input_shape=(8, 64, 64, 3), ...): ...

`build(name, num_classes, ...)` calls it; `available()` lists the names.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import keras

from zoo.models.blocks import sigmoid_head


@dataclasses.dataclass(frozen=True)
class Entry:
    """A registered builder and what it expects."""

    name: str
    builder: Callable[..., keras.Model]
    task: str
    summary: str


_REGISTRY: dict[str, Entry] = {}


def register(name: str, task: str = "video") -> Callable:
    """Decorator that adds a builder to the registry under `name`."""

    def wrap(builder: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        summary = (builder.__doc__ or "").strip().splitlines()[0] if builder.__doc__ else ""
        _REGISTRY[name] = Entry(name, builder, task, summary)
        return builder

    return wrap


def available(task: str | None = None) -> list[str]:
    """Registered model names, optionally only those of one task ("video", "audio", "audio_visual")."""
    return sorted(n for n, e in _REGISTRY.items() if task is None or e.task == task)


def entry(name: str) -> Entry:
    """The registry entry of `name`, with a helpful error for unknown names."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(available())}")
    return _REGISTRY[name]


def build(name: str, num_classes: int, multi_label: bool = False, **options) -> keras.Model:
    """Builds model `name` with `num_classes` outputs; `options` go to its builder.

    `multi_label` ends the model in one sigmoid score per label
    (`blocks.sigmoid_head`) instead of a softmax over the classes.

    Raises:
        ValueError: an option the builder does not take (the message lists those it does).
    """
    builder = entry(name).builder
    unknown = sorted(set(options) - set(inspect.signature(builder).parameters))
    if unknown:
        valid = ", ".join(default_options(name))
        raise ValueError(
            f"model {name!r} has no option {', '.join(map(repr, unknown))}; options: {valid}"
        )
    model = builder(num_classes=num_classes, **options)
    if multi_label:
        sigmoid_head(model)
    return model


def default_options(name: str) -> dict:
    """The options of builder `name` with their default values (all but `num_classes`)."""
    parameters = inspect.signature(entry(name).builder).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}

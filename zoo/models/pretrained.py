"""Shipped weights and their model cards (`zoo/models/weights/`).

Each card `<name>.<dataset>.json` records the data set, the builder options,
the test accuracy, the date and the command that trained it; the weights sit
beside it as `<name>.<dataset>.weights.h5`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras

from zoo.models.registry import build, entry

WEIGHTS_DIR = Path(__file__).parent / "weights"
DATASETS = ("moving_digits", "digit_events")  # the built-in data sets weights are shipped for


PREFIX = "pretrained:"  # how commands name shipped weights: `pretrained:cnn_lstm`


def shipped_name(source: str | os.PathLike) -> str | None:
    """NAME of a `pretrained:NAME` reference to shipped weights; None for anything else (a path)."""
    text = os.fspath(source)
    return text.removeprefix(PREFIX) if text.startswith(PREFIX) else None


def card_path(name: str, dataset: str = "moving_digits") -> Path:
    """Where the model card of `name` trained on `dataset` lives (it may not exist)."""
    return WEIGHTS_DIR / f"{name}.{dataset}.json"


def card(name: str, dataset: str = "moving_digits") -> dict:
    """The model card of `name` on `dataset`, as a dict."""
    entry(name)
    path = card_path(name, dataset)
    if not path.exists():
        shipped = ", ".join(
            sorted(p.name.split(".")[0] for p in WEIGHTS_DIR.glob(f"*.{dataset}.json"))
        )
        raise FileNotFoundError(
            f"{path}: no shipped weights for {name!r} on {dataset!r}; shipped: {shipped}"
        )
    return json.loads(path.read_text())


def build_from_card(model_card: dict) -> keras.Model:
    """Builds the model a card describes (random weights): its name, classes and options."""
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in model_card["options"].items()}
    return build(model_card["model"], len(model_card["class_names"]), **options)


def pretrained(name: str, dataset: str = "moving_digits") -> keras.Model:
    """Model `name` with the weights shipped for `dataset`, ready for `predict`.

    The model's class order is `card(name, dataset)["class_names"]`.
    """
    model_card = card(name, dataset)
    model = build_from_card(model_card)
    model.load_weights(WEIGHTS_DIR / model_card["weights"])
    return model

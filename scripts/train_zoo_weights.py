"""Trains the zoo's video models on a built-in data set and writes the shipped weights and cards.

    python scripts/train_zoo_weights.py                                # every video model
    python scripts/train_zoo_weights.py c3d vivit                      # some of them
    python scripts/train_zoo_weights.py --dataset digit_events cnn_lstm

For each model: the data set's fixed recipe (`zoo.models.recipe.RECIPES`,
seeded) on its default build, then test-split accuracy, written to
`zoo/models/weights/<name>.<dataset>.weights.h5` and `<name>.<dataset>.json`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from zoo import datasets  # noqa: E402
from zoo.models import available, recipe  # noqa: E402
from zoo.models.pretrained import DATASETS, WEIGHTS_DIR, card_path  # noqa: E402
from zoo.models.registry import build, default_options  # noqa: E402

# The shipped widths: small, so the weights stay small and CPU training takes about a minute.
OPTIONS: dict[str, dict] = {name: {} for name in available(task="video")}


def train_one(name: str, dataset: str, data_dir, test, recipe_: recipe.Recipe) -> dict:
    """Trains `name` on `dataset`, saves its weights and returns its model card."""
    result = recipe.train(name, data_dir, recipe_, verbose=2, **OPTIONS[name])
    options = {**default_options(name), "input_shape": recipe_.input_shape, **OPTIONS[name]}
    weights = f"{name}.{dataset}.weights.h5"
    # Saved from a freshly built, uncompiled twin, so the file holds no optimizer state (a
    # third of the size; `clone_model` copies the compiled optimizer along).
    shipped = build(name, len(result.class_names), **options)
    shipped.set_weights(result.model.get_weights())
    shipped.save_weights(WEIGHTS_DIR / weights)
    return {
        "model": name,
        "dataset": dataset,
        "dataset_config": dataclasses.asdict(datasets.config(dataset)),
        "class_names": result.class_names,
        "options": json.loads(json.dumps(options)),  # every builder option, tuples as lists
        "recipe": dataclasses.asdict(recipe_),
        "accuracy": round(recipe.accuracy(result.model, *test), 4),
        "split": "test",
        "params": result.model.count_params(),
        "train_seconds": round(result.seconds, 1),
        "final_loss": round(result.losses[-1], 4),
        "weights": weights,
        "date": datetime.date.today().isoformat(),
        "command": f"python scripts/train_zoo_weights.py --dataset {dataset} {name}",
        "keras_version": keras.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="models (default: all video models)")
    parser.add_argument("--dataset", default="moving_digits", choices=DATASETS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(OPTIONS))
    if unknown:
        parser.error(f"not video models: {', '.join(unknown)}; choose from {', '.join(OPTIONS)}")
    data_dir = datasets.make(args.dataset)
    recipe_ = recipe.RECIPES[args.dataset]
    test = recipe.clips(data_dir, "test", recipe_)
    WEIGHTS_DIR.mkdir(exist_ok=True)
    for name in args.names or OPTIONS:
        model_card = train_one(name, args.dataset, data_dir, test, recipe_)
        card_path(name, args.dataset).write_text(json.dumps(model_card, indent=2) + "\n")
        print(
            f"{name}: {model_card['accuracy']:.1%} test accuracy, "
            f"{model_card['train_seconds']:.0f} s, {model_card['params']:,} params",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

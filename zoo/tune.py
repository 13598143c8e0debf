"""`tune(model, data, out)`: a KerasTuner search (Hyperband or random), then the best retrained.

    from zoo.tune import tune
    run = tune("cnn_lstm", "moving_digits", "runs/tuned", algorithm="hyperband", epochs=9)

Each model's search space is declared in `SEARCH_SPACES` (or by its registry
entry, if that has a `search_space`). A space maps a name to a spec:

    [a, b, c]            one of these values        (hp.Choice)
    (low, high)          a float between            (hp.Float)
    (low, high, "log")   a float, log-uniformly     (hp.Float, sampling="log")

Names that are `TrainConfig` fields (learning_rate, weight_decay,
label_smoothing, ...) tune the recipe; the others are builder options.
The search lives in OUT/tuner/ (a rerun continues it), with TensorBoard logs
of every trial in OUT/tuner/logs/, its summary in OUT/tuning.json, and OUT
itself becomes a normal run of the best settings.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from zoo import models
from zoo.train import train
from zoo.training import hardware
from zoo.training.data import fit_datasets, resolve_source
from zoo.training.recipe import compile_model
from zoo.training.run import TrainConfig

Spec = list | tuple

LEARNING_RATE: Spec = (3e-4, 3e-3, "log")
DROPOUT: Spec = (0.0, 0.5)

SEARCH_SPACES: dict[str, dict[str, Spec]] = {
    "cnn_lstm": {
        "width": [8, 16, 32],
        "units": [32, 64, 128],
        "cell": ["lstm", "gru"],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
    "frame_cnn": {
        "width": [8, 16, 32],
        "embed_dim": [64, 128, 256],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
    "c3d": {
        "width": [8, 16, 32],
        "depth": [2, 3, 4],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
    "conv_lstm": {
        "width": [8, 16, 32],
        "depth": [1, 2, 3],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
    "temporal_transformer": {
        "depth": [1, 2, 4],
        "num_heads": [2, 4],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
    "timesformer": {
        "depth": [1, 2, 4],
        "num_heads": [2, 4],
        "dropout": DROPOUT,
        "learning_rate": LEARNING_RATE,
    },
}
RECIPE_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)} - {"model", "data"}
ALGORITHMS = ("hyperband", "random")


def search_space(model: str) -> dict[str, Spec]:
    """The space of `model`: its registry's, else `SEARCH_SPACES`'s, else dropout (if it
    takes one) and learning rate."""
    entry = models.entry(model)
    declared = getattr(entry, "search_space", None) or SEARCH_SPACES.get(model)
    if declared:
        return dict(declared)
    takes_dropout = "dropout" in inspect.signature(entry.builder).parameters
    return {**({"dropout": DROPOUT} if takes_dropout else {}), "learning_rate": LEARNING_RATE}


def _declare(hp: keras_tuner.HyperParameters, name: str, spec: Spec) -> Any:
    """Declares hyperparameter `name` from its spec and returns the trial's value."""
    if isinstance(spec, list):
        return hp.Choice(name, spec)
    low, high, *sampling = spec
    return hp.Float(name, low, high, sampling=sampling[0] if sampling else "linear")


def trial_logs(out: str | os.PathLike) -> Path:
    """The TensorBoard logs of the search's trials: `out/tuner/logs/<trial>/execution0/`."""
    return Path(out, "tuner", "logs")


def with_values(config: TrainConfig, values: dict[str, Any]) -> TrainConfig:
    """`config` with tuned `values` put in place: recipe fields directly, the rest as model options."""
    recipe = {k: v for k, v in values.items() if k in RECIPE_FIELDS}
    options = {k: v for k, v in values.items() if k not in RECIPE_FIELDS}
    return dataclasses.replace(config, **recipe, model_options={**config.model_options, **options})


class VideoHyperModel(keras_tuner.HyperModel):
    """Builds and compiles one trial's model from `config` and the trial's values."""

    def __init__(
        self,
        config: TrainConfig,
        space: dict[str, Spec],
        num_classes: int,
        steps_per_epoch: int,
        jit_compile: bool = False,
    ) -> None:
        super().__init__(name=config.model)
        self.config, self.space = config, space
        self.num_classes, self.steps_per_epoch = num_classes, steps_per_epoch
        self.jit_compile = jit_compile

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        values = {name: _declare(hp, name, spec) for name, spec in self.space.items()}
        config = with_values(self.config, values)
        model = models.build(
            config.model, self.num_classes, input_shape=config.input_shape, **config.model_options
        )
        compile_model(model, config, self.steps_per_epoch, self.jit_compile)
        return model


def tune(
    model: str,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    algorithm: str = "hyperband",
    max_trials: int = 10,
    final_epochs: int | None = None,
    space: dict[str, Spec] | None = None,
    verbose: int | str = 1,
    **options,
) -> Path:
    """Searches `model`'s space on `data` (train split, scored by val loss), then retrains the best.

    Args:
        model: a name from `zoo.models.available()`.
        data: as for `zoo.train.train`.
        out: the run folder; the search goes to `out/tuner/`.
        algorithm: "hyperband" (epochs per trial up to `epochs`, weak trials
            stopped early) or "random" (`max_trials` trials of `epochs` epochs).
        max_trials: trials of the random search.
        final_epochs: epochs of the final training (default: `epochs`).
        space: a search space instead of the model's own (`search_space(model)`).
        **options: `TrainConfig` fields, the base that trials change.

    Returns:
        The run folder, holding the retrained best model and tuning.json.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
    config = TrainConfig(model=model, data=str(resolve_source(data)), **options)
    space = space or search_space(model)
    hardware.seed_everything(config.seed, deterministic=False)
    jit_compile = hardware.accelerate()  # trials get the set-up of the final training
    data = fit_datasets(Path(config.data), config)
    hypermodel = VideoHyperModel(config, space, len(data.class_names), data.steps, jit_compile)
    common = dict(objective="val_loss", seed=config.seed, directory=str(out), project_name="tuner")
    if algorithm == "hyperband":
        tuner = keras_tuner.Hyperband(hypermodel, max_epochs=config.epochs, factor=3, **common)
    else:
        tuner = keras_tuner.RandomSearch(hypermodel, max_trials=max_trials, **common)
    tuner.search(
        data.train,
        validation_data=data.val,
        epochs=config.epochs,
        steps_per_epoch=data.steps,
        shuffle=False,
        verbose=verbose,
        callbacks=[
            keras.callbacks.EarlyStopping(patience=config.patience),
            # KerasTuner moves this to TRIAL_LOGS/<trial>/execution0/ and adds the trial's hparams.
            keras.callbacks.TensorBoard(str(trial_logs(out)), write_graph=False),
        ],
    )

    trials = tuner.oracle.get_best_trials(num_trials=len(tuner.oracle.trials))
    best = trials[0].hyperparameters.values
    summary = {
        "algorithm": algorithm,
        "objective": "val_loss",
        "search_space": {k: list(v) for k, v in space.items()},
        "best": best,
        "trials": [
            {"trial": t.trial_id, "val_loss": t.score, "values": t.hyperparameters.values}
            for t in trials
        ],
    }
    Path(out, "tuning.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"best of {len(trials)} trials (val_loss {trials[0].score:.4f}): {best}", flush=True)

    final = with_values(config, {k: best[k] for k in space})
    retrain = {
        f.name: getattr(final, f.name)
        for f in dataclasses.fields(TrainConfig)
        if f.name not in ("model", "data")
    }
    retrain["epochs"] = final_epochs or config.epochs
    return train(model, config.data, out, verbose=verbose, **retrain)

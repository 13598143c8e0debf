"""`zoo tune`: a tiny search completes, is saved in the run, and its best is retrained."""

from __future__ import annotations

import inspect
import json

import keras
import pytest
from run_training import TINY_RUN

from zoo import models
from zoo.tune import RECIPE_FIELDS, search_space, tune

SPACE = {"units": [8, 16], "dropout": (0.0, 0.5), "learning_rate": (1e-3, 3e-3, "log")}


@pytest.mark.parametrize(("algorithm", "epochs", "trials"), [("random", 1, 2), ("hyperband", 2, 2)])
def test_tiny_search_saves_its_trials_and_retrains_the_best(
    tiny_digits, tmp_path, algorithm, epochs, trials
):
    run = tune(
        "cnn_lstm",
        tiny_digits,
        tmp_path / "run",
        algorithm=algorithm,
        max_trials=2,
        final_epochs=1,
        space=SPACE,
        epochs=epochs,
        verbose=2,
        **TINY_RUN,
    )
    summary = json.loads((run / "tuning.json").read_text())
    assert summary["algorithm"] == algorithm and len(summary["trials"]) == trials
    assert all(t["val_loss"] > 0 for t in summary["trials"])
    best = summary["best"]
    assert best["units"] in (8, 16) and 1e-3 <= best["learning_rate"] <= 3e-3
    config = json.loads((run / "config.json").read_text())
    assert config["model_options"] == {
        "width": 8,
        "units": best["units"],
        "dropout": best["dropout"],
    }
    assert config["learning_rate"] == best["learning_rate"] and config["epochs"] == 1
    model = keras.saving.load_model(run / "model.keras")
    assert model.get_layer("lstm").units == best["units"]
    assert (run / "tuner").is_dir()


@pytest.mark.parametrize("name", models.available(task="video"))
def test_every_search_space_names_real_options(name):
    accepted = set(inspect.signature(models.entry(name).builder).parameters) | RECIPE_FIELDS
    assert search_space(name) and set(search_space(name)) <= accepted

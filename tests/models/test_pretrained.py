"""The shipped weights: cards are complete, files small, and the stated accuracy holds on the test split."""

from __future__ import annotations

import dataclasses
import json

import h5py
import pytest

from zoo.models import available, recipe
from zoo.models.pretrained import DATASETS, WEIGHTS_DIR, card, pretrained

# videoprism's weights are KerasHub presets (`preset=`), not trained by the zoo.
VIDEO_MODELS = [name for name in available(task="video") if name != "videoprism"]
CARD_FIELDS = {
    "model",
    "dataset",
    "dataset_config",
    "class_names",
    "options",
    "recipe",
    "accuracy",
    "split",
    "params",
    "train_seconds",
    "weights",
    "date",
    "command",
    "keras_version",
}


@pytest.fixture(scope="module")
def test_clips(moving_digits_dir, digit_events_dir):
    """The default test split of each built-in data set, as the cards were measured."""
    folders = {"moving_digits": moving_digits_dir, "digit_events": digit_events_dir}
    cache = {}

    def clips(dataset: str):
        if dataset not in cache:
            cache[dataset] = recipe.clips(folders[dataset], "test", recipe.RECIPES[dataset])
        return cache[dataset]

    return clips


# Every shipped card, as (model, data set).
SHIPPED = sorted(tuple(p.name.split(".")[:2]) for p in WEIGHTS_DIR.glob("*.json"))


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_video_model_ships_weights_and_a_card(dataset):
    shipped = sorted(p.name.split(".")[0] for p in WEIGHTS_DIR.glob(f"*.{dataset}.json"))
    assert shipped == VIDEO_MODELS
    total = sum(p.stat().st_size for p in WEIGHTS_DIR.iterdir())
    assert total < 20e6, f"shipped weights take {total / 1e6:.1f} MB"
    for name, dataset in SHIPPED:
        model_card = card(name, dataset)
        assert CARD_FIELDS <= model_card.keys(), name
        assert model_card["command"].startswith("python scripts/train_zoo_weights.py")
        assert model_card["recipe"] == dataclasses.asdict(recipe.RECIPES[dataset])
        with h5py.File(WEIGHTS_DIR / model_card["weights"]) as weights:
            assert "optimizer" not in weights, f"{model_card['weights']} holds optimizer state"


@pytest.mark.parametrize("name,dataset", SHIPPED)
def test_card_accuracy_holds_on_the_test_split(name, dataset, test_clips):
    model_card = card(name, dataset)
    model = pretrained(name, dataset)
    assert model.count_params() == model_card["params"]
    measured = recipe.accuracy(model, *test_clips(dataset))
    assert abs(measured - model_card["accuracy"]) <= 0.02, (measured, model_card["accuracy"])
    chance = 1 / len(model_card["class_names"])
    if name == "frame_cnn":  # a bag of frames: the direction (of motion, of time) is hidden
        assert measured <= chance + (0.15 if dataset == "digit_events" else 0.25)
    # digit_events ranks the temporal models: see the test below
    elif dataset == "moving_digits":
        assert measured >= 0.90  # every temporal model sees the direction of motion


def test_digit_events_ranks_the_temporal_models_and_the_best_passes_90_percent():
    """What the data set's card promises, read from the cards; the test above checks each
    card's accuracy on the test split."""
    temporal = {
        name: card(name, "digit_events")["accuracy"] for name in VIDEO_MODELS if name != "frame_cnn"
    }
    assert max(temporal.values()) >= 0.90, temporal
    assert max(temporal.values()) - min(temporal.values()) >= 0.15, temporal


def test_unknown_names_fail_clearly():
    with pytest.raises(KeyError, match="unknown model"):
        pretrained("resnet")
    with pytest.raises(FileNotFoundError, match="no shipped weights for 'audio_cnn'"):
        pretrained("audio_cnn")
    with pytest.raises(FileNotFoundError, match="on 'kinetics'"):
        pretrained("cnn_lstm", dataset="kinetics")


def test_cards_are_valid_json_with_the_recipe():
    for path in WEIGHTS_DIR.glob("*.json"):
        model_card = json.loads(path.read_text())
        assert model_card["recipe"] == {
            **model_card["recipe"],
            "clip_len": 8,
            "frame_step": 2,
            "size": 64,
        }

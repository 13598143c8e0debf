"""The shipped weights: cards are complete, files small, and the stated accuracy holds on the test split."""

from __future__ import annotations

import json

import pytest

from zoo.models import available, recipe
from zoo.models.pretrained import WEIGHTS_DIR, card, pretrained

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
def test_clips(moving_digits_dir):
    """The default moving_digits test split (192 videos), as the cards were measured."""
    return recipe.clips(moving_digits_dir, "test")


def test_every_video_model_ships_weights_and_a_card():
    shipped = sorted(p.name.split(".")[0] for p in WEIGHTS_DIR.glob("*.moving_digits.json"))
    assert shipped == VIDEO_MODELS
    total = sum(p.stat().st_size for p in WEIGHTS_DIR.iterdir())
    assert total < 20e6, f"shipped weights take {total / 1e6:.1f} MB"
    for name in VIDEO_MODELS:
        model_card = card(name)
        assert CARD_FIELDS <= model_card.keys(), name
        assert model_card["command"].startswith("python scripts/train_zoo_weights.py")
        assert (WEIGHTS_DIR / model_card["weights"]).exists()


@pytest.mark.parametrize("name", VIDEO_MODELS)
def test_card_accuracy_holds_on_the_test_split(name, test_clips):
    model_card = card(name)
    model = pretrained(name)
    assert model.count_params() == model_card["params"]
    measured = recipe.accuracy(model, *test_clips)
    assert abs(measured - model_card["accuracy"]) <= 0.02, (measured, model_card["accuracy"])
    if name != "frame_cnn":  # the temporal models see motion; frame_cnn sees a bag of frames
        assert measured >= 0.90


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

"""The zoo table: FLOP counting, the `zoo models` command and docs/model_zoo.md in sync."""

from __future__ import annotations

import json
from pathlib import Path

import keras
from keras import layers

from zoo.cli import main
from zoo.models import available, card, table
from zoo.models.layers import SelfAttention

DOC = Path(__file__).parents[2] / "docs" / "model_zoo.md"


def test_flops_match_a_hand_count():
    frames = keras.Input((5, 8, 8, 3))
    x = layers.TimeDistributed(layers.Conv2D(4, 3, padding="same"))(frames)
    x = layers.Reshape((5, 256))(x)
    tokens, _ = SelfAttention(num_heads=2, key_dim=8)(layers.Dense(16)(x))
    x = layers.LSTM(4)(tokens)
    model = keras.Model(frames, layers.Dense(2)(x))
    conv = 5 * (8 * 8 * 4) * (3 * 3 * 3)
    dense = 5 * 256 * 16 + 4 * 2
    attention = 4 * 5 * 16 * 16 + 2 * 5 * 5 * 16
    lstm = 5 * 4 * (16 + 4) * 4
    assert table.model_flops(model) == 2 * (conv + dense + attention + lstm)


def _doc_rows() -> dict[str, str]:
    """Model name -> params cell of the Markdown table in docs/model_zoo.md."""
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("| ")][2:]
    return {
        cells[0]: cells[3]
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines)
    }


def test_docs_model_zoo_is_in_sync_with_the_code():
    rows = table.rows(latency=False)
    expected = {row.name: f"{row.params:,}" for row in rows}
    assert _doc_rows() == expected, "regenerate: zoo models --markdown > docs/model_zoo.md"


def test_zoo_models_command_prints_the_table(capsys):
    assert main(["models", "--no-latency", "cnn_lstm", "c3d"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["model", "task", "input", "params"]
    assert out[0].split()[-2:] == ["moving_digits", "digit_events"]  # accuracy on each
    assert [line.split()[0] for line in out[1:]] == ["cnn_lstm", "c3d"]
    assert f"{100 * card('cnn_lstm')['accuracy']:.1f} %" in out[1]  # from the model card


def test_zoo_models_json_lists_every_model_with_accuracy_by_data_set(capsys):
    assert main(["models", "--json", "--no-latency"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == available()
    for row in rows:
        assert set(row) >= {"name", "task", "params", "gflops", "cpu_ms", "accuracy"}
        assert (
            set(row["accuracy"]) == set(row["train_seconds"]) == {"moving_digits", "digit_events"}
        )
    by_name = {row["name"]: row for row in rows}
    assert by_name["c3d"]["accuracy"]["moving_digits"] == card("c3d")["accuracy"]
    events = card("c3d", "digit_events")
    assert by_name["c3d"]["train_seconds"]["digit_events"] == events["train_seconds"]
    assert by_name["c3d"]["params"] == table.rows(["c3d"], latency=False)[0].params


def test_zoo_models_rejects_unknown_names(capsys):
    assert main(["models", "resnet"]) == 2
    assert "unknown model 'resnet'" in capsys.readouterr().err
    assert len(available()) == 11

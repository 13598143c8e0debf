"""`zoo train` and `zoo evaluate`: the run folder, seeded reproducibility, the evaluation files."""

from __future__ import annotations

import json

import keras
import numpy as np
from run_training import tiny_flags

from zoo import cli


def _train_cli(data, out, seed: int) -> int:
    return cli.main(
        [
            "train",
            "--model",
            "cnn_lstm",
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "2",
            *tiny_flags(),
            "--seed",
            str(seed),
        ]
    )


def _last_weights(run) -> list[np.ndarray]:
    return keras.saving.load_model(run / "checkpoints" / "last.keras").get_weights()


def test_same_seed_gives_identical_weights(tiny_digits, tiny_run, tmp_path):
    assert _train_cli(tiny_digits, tmp_path / "one", seed=3) == 0
    assert _train_cli(tiny_digits, tmp_path / "two", seed=3) == 0
    one, two = _last_weights(tmp_path / "one"), _last_weights(tmp_path / "two")
    assert len(one) == len(two) > 0
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    other_seed = _last_weights(tiny_run)  # seed 0: the comparison can fail
    assert not all(np.array_equal(a, b) for a, b in zip(one, other_seed, strict=True))


def test_run_folder_holds_everything_to_evaluate_export_or_resume(tiny_run):
    config = json.loads((tiny_run / "config.json").read_text())
    assert config["model"] == "cnn_lstm" and config["epochs"] == 2 and config["seed"] == 0
    assert config["clip_len"] == 4 and config["size"] == 32 and config["frame_step"] == 2
    assert config["strategy"] == "_DefaultDistributionStrategy"
    assert config["mixed_precision"] == "float32" and config["jit_compile"] is False
    assert (tiny_run / "labels.txt").read_text().split() == ["down", "left", "right", "up"]
    model = keras.saving.load_model(tiny_run / "model.keras")
    assert model.input_shape == (None, 4, 32, 32, 3) and model.output_shape == (None, 4)
    assert (tiny_run / "checkpoints" / "last.keras").exists()
    assert not (tiny_run / "backup").exists()  # removed when the run finished
    history = (tiny_run / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:1] == ["epoch"] and len(history) == 3
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"} <= set(
        history[0].split(",")
    )
    assert (tiny_run / "curves.png").read_bytes()[:4] == b"\x89PNG"
    for split in ("train", "validation"):
        assert list((tiny_run / "logs" / split).glob("events.out.tfevents.*"))


def test_learning_rate_warms_up_then_decays(tiny_run):
    rows = [line.split(",") for line in (tiny_run / "history.csv").read_text().splitlines()]
    rates = [float(row[rows[0].index("learning_rate")]) for row in rows[1:]]
    assert rates[0] == np.float32(1e-3)  # end of the 1-epoch warm-up: the peak
    assert rates[1] == 0.0  # end of the cosine decay


def test_a_finished_run_is_kept_and_a_different_one_refused(tiny_digits, tiny_run, capsys):
    history = (tiny_run / "history.csv").read_text()
    assert _train_cli(tiny_digits, tiny_run, seed=0) == 0
    assert "finished: nothing to do" in capsys.readouterr().out
    assert (tiny_run / "history.csv").read_text() == history
    assert _train_cli(tiny_digits, tiny_run, seed=1) == 2
    assert "other settings (seed)" in capsys.readouterr().err


def test_evaluate_writes_metrics_pictures_and_report(tiny_digits, tiny_run, capsys):
    assert cli.main(["evaluate", str(tiny_run), "--data", str(tiny_digits)]) == 0
    out = tiny_run / "eval"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] == "test" and metrics["num_examples"] == 16
    assert (metrics["num_clips"], metrics["num_crops"], metrics["views"]) == (3, 3, 9)
    matrix = np.array(json.loads((out / "confusion_matrix.json").read_text())["matrix"])
    assert matrix.sum() == 16 and list(matrix.sum(axis=1)) == [4, 4, 4, 4]
    assert metrics["top1"] == np.trace(matrix) / 16
    assert [m["support"] for m in metrics["per_class"].values()] == [4, 4, 4, 4]
    report = (out / "report.txt").read_text()
    assert "9 views each (3 clips x 3 crops)" in report and "mean class accuracy" in report
    for picture in ("confusion_matrix.png", "mistakes.png"):
        assert (out / picture).read_bytes()[:4] == b"\x89PNG"
    assert "9 views each" in capsys.readouterr().out


def test_evaluate_names_a_missing_run(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path / "nope")]) == 2
    assert "not a run folder" in capsys.readouterr().err

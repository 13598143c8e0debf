"""`benchmarks/gpu.py` at smoke size on the CPU, the way it runs on the lent GPU machine:
Keras on JAX, with TensorFlow (and, in one test, KerasHub) not importable."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu.py"
CPU_PEAK_TFLOPS = 1.0  # above what 2 cores reach in bf16, so every fraction is below 1
# Compiling is most of a smoke run; without LLVM's optimisations XLA's CPU backend compiles
# about 1.5 times faster, and the speed of the code it makes is not what this tests.
FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def _block(folder: Path, *packages: str) -> Path:
    """A folder that, first on PYTHONPATH, makes `import <package>` fail as if it were absent."""
    for package in packages:
        (folder / package).mkdir(parents=True)
        message = f"No module named {package!r}"
        (folder / package / "__init__.py").write_text(
            f"raise ModuleNotFoundError({message!r}, name={package!r})\n"
        )
    return folder


def _run_benchmark(tmp_path: Path, blocked: tuple[str, ...], *args: str) -> tuple[str, dict]:
    """Runs the benchmark at smoke size in a fresh process; its stdout and its JSON report."""
    report = tmp_path / "gpu.json"
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": FAST_COMPILE,
        "PYTHONPATH": os.pathsep.join([str(_block(tmp_path / "blocked", *blocked)), str(ROOT)]),
    }
    command = [sys.executable, str(SCRIPT), "--size", "smoke", "--json", str(report), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout, json.loads(report.read_text())


def test_times_a_training_step_of_every_video_model_without_tensorflow(tmp_path):
    from zoo.models import available

    stdout, report = _run_benchmark(
        tmp_path, ("tensorflow",), "--peak-tflops", str(CPU_PEAK_TFLOPS), "--steps", "2"
    )

    assert report["platform"] == "cpu" and report["policy"] == "mixed_bfloat16"
    assert report["skipped"] == {}
    rows = {row["model"]: row for row in report["rows"]}
    assert sorted(rows) == available(task="video")
    for name, row in rows.items():
        assert row["params"] > 0 and row["compile_s"] > 0, name
        assert row["steps_per_s"] > 0, name
        assert math.isclose(row["clips_per_s"], row["batch"] * row["steps_per_s"]), name
        assert row["flops_per_step"] > 0, name
        assert 0 < row["peak_fraction"] <= 1, name
        assert math.isclose(row["peak_fraction"], row["tflops_per_s"] / CPU_PEAK_TFLOPS), name
        assert math.isfinite(row["loss"]) and row["loss"] > 0, name
        assert name in stdout
    # XLA counts an RNN's loop body once: the recurrent models take the analytic count
    assert {n for n, r in rows.items() if r["flops_from"] != "xla"} == {"cnn_lstm", "conv_lstm"}


def test_a_model_whose_builder_needs_a_missing_package_is_skipped_with_the_reason(tmp_path):
    stdout, report = _run_benchmark(
        tmp_path, ("tensorflow", "keras_hub"), "--peak-tflops", "1", "--models", "videoprism"
    )

    assert report["rows"] == []
    assert report["skipped"] == {"videoprism": "needs keras_hub, which is not installed here"}
    assert "videoprism            skipped: needs keras_hub" in stdout

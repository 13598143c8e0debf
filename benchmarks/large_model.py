"""What a base-size VideoPrism costs to serve on this machine: export size, batch-1 latency, memory.

    python benchmarks/large_model.py                # ViT-B: 12 spatial + 4 temporal blocks
    python benchmarks/large_model.py --size large   # ViT-L: 24 + 4, width 1024
    python benchmarks/large_model.py --quick        # 2 + 2 blocks: a smoke run

The architecture of `videoprism_public_v1_base` (or `_large`) with random
weights (the presets download from Kaggle; speed does not depend on the
weights) and a 10-class attentive probe, 16 frames at 288x288. Each step
runs in a fresh process so that its peak memory (`ru_maxrss`) is its own:

    build+save   build the model and save it as `.keras`
    export       `zoo.export.saved_model` (uint8 frames in), size on disk
    keras        batch-1 `predict_on_batch` of the `.keras` model, median of `--repeats`
    saved_model  batch-1 `serving_default` of the SavedModel, uint8 frames at 288x288

Keras and the SavedModel get the same clip; the ratio saved_model / keras is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FRAMES, PIXELS, CLASSES = 16, 288, 10


def _sizes(name: str) -> dict:
    from zoo.models.videoprism import BASE, LARGE

    small = {**BASE, "num_spatial_layers": 2, "num_temporal_layers": 2}
    return {"base": BASE, "large": LARGE, "quick": small}[name]


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _median_ms(call, repeats: int) -> float:
    call()  # warm-up: tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def step(name: str, size: str, work: Path, repeats: int) -> dict:
    """One measurement, in this process; returns its numbers and peak memory."""
    import numpy as np

    frames = np.random.default_rng(0).integers(0, 256, (1, FRAMES, PIXELS, PIXELS, 3), np.uint8)
    result: dict = {}
    if name == "build+save":
        import zoo.models

        sizes = {k: v for k, v in _sizes(size).items() if k != "num_frames"}
        model = zoo.models.build(
            "videoprism", CLASSES, input_shape=(FRAMES, PIXELS, PIXELS, 3), **sizes
        )
        model.save(work / "model.keras")
        result["params_m"] = model.count_params() / 1e6
        result["keras_mb"] = (work / "model.keras").stat().st_size / 2**20
    elif name == "export":
        import zoo.export
        import zoo.models

        model = zoo.models.load(work / "model.keras")
        zoo.export.saved_model(model, work / "saved_model", [f"c{i}" for i in range(CLASSES)])
        result["saved_model_mb"] = _folder_mb(work / "saved_model")
    elif name == "keras":
        import zoo.models

        model = zoo.models.load(work / "model.keras")
        result["keras_ms"] = _median_ms(lambda: model.predict_on_batch(frames), repeats)
    elif name == "saved_model":
        import tensorflow as tf

        serve = tf.saved_model.load(str(work / "saved_model")).signatures["serving_default"]
        batch = tf.constant(frames)
        result["saved_model_ms"] = _median_ms(lambda: serve(frames=batch), repeats)
    result[f"{name}_peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("base", "large"), default="base")
    parser.add_argument("--quick", action="store_true", help="2 + 2 blocks, 2 repeats")
    parser.add_argument("--repeats", type=int, default=5, help="timed batch-1 calls")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # a child process: one step
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    repeats = 2 if args.quick else args.repeats
    if args.step:
        print(json.dumps(step(args.step, size, Path(args.work), repeats)))
        return
    work = Path(tempfile.mkdtemp(prefix="zoo-large-"))
    results: dict = {}
    for name in ("build+save", "export", "keras", "saved_model"):
        command = [sys.executable, __file__, "--step", name, "--work", str(work)]
        command += ["--quick"] if args.quick else ["--size", size, "--repeats", str(repeats)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.update(json.loads(done.stdout.strip().splitlines()[-1]))
        results[f"{name}_s"] = time.perf_counter() - start
    print(f"videoprism {size}: {results['params_m']:.1f} M parameters, {FRAMES}x{PIXELS}x{PIXELS}")
    print(f"  .keras file      {results['keras_mb']:8.0f} MB")
    print(
        f"  SavedModel       {results['saved_model_mb']:8.0f} MB  (export {results['export_s']:.0f} s)"
    )
    print(
        f"  keras batch 1    {results['keras_ms']:8.0f} ms  (peak {results['keras_peak_gb']:.1f} GB)"
    )
    print(
        f"  SavedModel b. 1  {results['saved_model_ms']:8.0f} ms  "
        f"(peak {results['saved_model_peak_gb']:.1f} GB; "
        f"{results['saved_model_ms'] / results['keras_ms']:.2f}x keras)"
    )
    print(f"  export peak      {results['export_peak_gb']:8.1f} GB")
    print(f"  ({os.cpu_count()} CPU cores)")


if __name__ == "__main__":
    main()

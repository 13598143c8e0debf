"""Training speed of every video model on an accelerator: steps/s, clips/s, share of bf16 peak.

    python benchmarks/gpu.py --size smoke --peak-tflops 1     # a smoke run, on any CPU
    python benchmarks/gpu.py --size full --peak-tflops 989 --json gpu.json   # on an H200

For each video model of the registry (`zoo.models.available(task="video")`, or
`--models`) it builds the model in `mixed_bfloat16` (float32 weights, bfloat16
compute), compiles one training step with JAX (forward, backward and an Adam
update, in one `jax.jit` with the state donated) on synthetic clips and labels
already on the device, runs 2 steps to warm up, then times `--steps` steps;
the clock stops once the loss and every updated weight of the last step are
ready (`jax.block_until_ready`), so JAX's asynchronous dispatch cannot hide
work. Per model it reports parameters, batch, input shape, compile seconds,
steps/s, clips/s, FLOPs per step, TFLOP/s and that as a share of
`--peak-tflops`.

FLOPs per step come from XLA's cost analysis of the compiled step. XLA counts
the body of a loop once, not once per iteration, so for the recurrent models
(Keras on JAX runs an RNN as a `lax.scan` loop), and wherever the cost
analysis gives nothing, the benchmark takes 3 x the forward FLOPs that
`zoo.models.table` counts analytically, and says so (column "from").

Sizes (`--size`, default `$ZOO_SCALE`, see `zoo.scale`):

    full    every zoo model as the builder makes it, on clips of 8 x 64 x 64 (the
            course's `ZOO_SCALE=full` clips and the model zoo table's input),
            batch 64; `videoprism` with the architecture of the
            `videoprism_public_v1_base` preset (114 M parameters) on 16 x 288 x 288,
            batch 16. 20 timed steps.
    smoke   the same builders with fewer blocks (`SMOKE_OPTIONS`; `videoprism`: its
            small default backbone) on 8 x 32 x 32 clips, batch 2, 3 timed steps:
            a test of the benchmark on a CPU, not a measurement.

Every model trains all its weights (`videoprism` with `trainable=True`: fine-tuning).
A model whose builder needs a package that is not installed (`videoprism` needs
KerasHub) is skipped, and the output says which package.

It needs Keras 3 on JAX only (`KERAS_BACKEND=jax` is set unless given): no
TensorFlow. That is what the lent GPU machine has (see `shared/stack.md`): JAX,
numpy, h5py, rich, absl-py and ml-dtypes under its own Python 3.12, but no
Keras, and nothing can be downloaded there. This venv is Python 3.11 and
optree is compiled, so its packages cannot be copied: fetch Python 3.12 wheels
here once, into `.device_wheels/` (git ignores it; about 5 MB):

    python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \\
        -d .device_wheels keras==3.15.1 namex==0.1.0 optree==0.20.0 \\
        keras-hub==0.32.0 kagglehub==1.0.2 kagglesdk==0.1.28

(KerasHub and its two Kaggle packages only for `videoprism`; without them it is
skipped.) Then, on the device, `benchmarks/gpu_device.sh` installs them into
/tmp/site and runs the full size, writing `$OUT/gpu.json` and `$OUT/gpu.log`; with
the device tool:

    run(command="bash benchmarks/gpu_device.sh", carry=[".device_wheels"], timeout_s=600)

Arguments after the script's name go to this benchmark (`--batch 256`, `--models c3d`).
So far it has run on a CPU only (JAX 0.10.2, Keras 3.15.1, through that script with
Python 3.11 wheels); the device's JAX is 0.11.2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from zoo import models  # noqa: E402
from zoo.models import table  # noqa: E402
from zoo.models.videoprism import BASE  # noqa: E402
from zoo.scale import SCALES, scale  # noqa: E402

CLASSES = 10
WARMUP_STEPS = 2
POLICY = "mixed_bfloat16"


@dataclasses.dataclass(frozen=True)
class Setup:
    """How one model is built and fed at one size."""

    input_shape: tuple[int, int, int, int]
    batch: int
    options: dict = dataclasses.field(default_factory=dict)


FULL = Setup((8, 64, 64, 3), batch=64)
FULL_VIDEOPRISM = Setup(  # the base preset's architecture (num_frames is the input's)
    (16, 288, 288, 3),
    batch=16,
    options={"trainable": True, **{k: v for k, v in BASE.items() if k != "num_frames"}},
)
SMOKE_SHAPE, SMOKE_BATCH = (8, 32, 32, 3), 2
SMOKE_OPTIONS = {  # fewer blocks: compiling is most of a smoke run's time
    "c3d": {"depth": 2},
    "conv_lstm": {"depth": 1},
    "r2plus1d": {"stages": 2},
    "temporal_transformer": {"depth": 1},
    "timesformer": {"depth": 1},
    "vivit": {"spatial_depth": 1, "temporal_depth": 1},
    "videoprism": {"trainable": True, "num_spatial_layers": 1, "num_temporal_layers": 1},
}
STEPS = {"smoke": 3, "full": 20}


@dataclasses.dataclass(frozen=True)
class Row:
    """The measurement of one model."""

    model: str
    input_shape: str
    batch: int
    params: int
    compile_s: float
    steps_per_s: float
    clips_per_s: float
    flops_per_step: float
    flops_from: str  # "xla", or a key of NOTES
    tflops_per_s: float
    peak_fraction: float
    loss: float  # after the last timed step


def setup_for(name: str, size: str, batch: int | None) -> Setup:
    """The setup of model `name` at `size` (module doc), with `batch` instead of its own if given."""
    if size == "full":
        setup = FULL_VIDEOPRISM if name == "videoprism" else FULL
    else:
        setup = Setup(SMOKE_SHAPE, SMOKE_BATCH, SMOKE_OPTIONS.get(name, {}))
    return setup if batch is None else dataclasses.replace(setup, batch=batch)


def train_step(model: keras.Model, optimizer: keras.Optimizer) -> Callable:
    """A pure training step `(state, x, y) -> (loss, state)` over the model's and optimizer's
    variables, `state = (trainable, non_trainable, optimizer_variables)`."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def loss_and_updates(trainable, non_trainable, x, y):
        probabilities, non_trainable = model.stateless_call(
            trainable, non_trainable, x, training=True
        )
        return loss_fn(y, probabilities), non_trainable

    def step(state, x, y):
        trainable, non_trainable, optimizer_variables = state
        (loss, non_trainable), grads = jax.value_and_grad(loss_and_updates, has_aux=True)(
            trainable, non_trainable, x, y
        )
        trainable, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable
        )
        return loss, (trainable, non_trainable, optimizer_variables)

    return step


def initial_state(model: keras.Model, optimizer: keras.Optimizer) -> tuple:
    """The current values of the variables that `train_step` carries."""
    optimizer.build(model.trainable_variables)
    return tuple(
        [v.value for v in variables]
        for variables in (
            model.trainable_variables,
            model.non_trainable_variables,
            optimizer.variables,
        )
    )


def synthetic_batch(setup: Setup) -> tuple[jax.Array, jax.Array]:
    """Random uint8 clips, as the loader gives them, and labels, on the default device."""
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (setup.batch, *setup.input_shape), dtype=np.uint8)
    labels = rng.integers(0, CLASSES, setup.batch, dtype=np.int32)
    return jax.device_put(clips), jax.device_put(labels)


def recurrent(layer: keras.Layer) -> bool:
    """Whether `layer` is or holds a Keras RNN (LSTM, GRU, ConvLSTM...): Keras on JAX runs one
    as `lax.scan`, an XLA while loop."""
    if isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional):
        return True
    if isinstance(layer, keras.layers.TimeDistributed):
        return recurrent(layer.layer)
    if isinstance(layer, keras.Model):
        return any(recurrent(inner) for inner in layer.layers)
    return False


def step_flops(compiled: jax.stages.Compiled, model: keras.Model, batch: int) -> tuple[float, str]:
    """FLOPs of one compiled training step, and where they come from (a key of `NOTES`, or
    "xla"): XLA's cost analysis counts the body of a loop once, not once per iteration."""
    flops = (compiled.cost_analysis() or {}).get("flops", 0.0)
    if flops <= 0:
        source = "3x fwd (no xla)"
    elif recurrent(model):
        source = "3x fwd (rnn)"
    else:
        return flops, "xla"
    return 3.0 * batch * table.model_flops(model), source


def measure(name: str, setup: Setup, steps: int, peak_tflops: float) -> Row:
    """Builds `name`, compiles its training step, times `steps` steps after a warm-up."""
    keras.utils.clear_session()
    model = models.build(name, CLASSES, input_shape=setup.input_shape, **setup.options)
    optimizer = keras.optimizers.Adam(1e-4)
    state = initial_state(model, optimizer)
    x, y = synthetic_batch(setup)

    start = time.perf_counter()
    compiled = jax.jit(train_step(model, optimizer), donate_argnums=0).lower(state, x, y).compile()
    compile_s = time.perf_counter() - start
    flops, flops_from = step_flops(compiled, model, setup.batch)

    for _ in range(WARMUP_STEPS):
        loss, state = compiled(state, x, y)
    jax.block_until_ready((loss, state))
    start = time.perf_counter()
    for _ in range(steps):
        loss, state = compiled(state, x, y)
    jax.block_until_ready((loss, state))
    seconds = time.perf_counter() - start

    tflops = flops * steps / seconds / 1e12
    return Row(
        model=name,
        input_shape="x".join(map(str, setup.input_shape)),
        batch=setup.batch,
        params=model.count_params(),
        compile_s=compile_s,
        steps_per_s=steps / seconds,
        clips_per_s=steps * setup.batch / seconds,
        flops_per_step=flops,
        flops_from=flops_from,
        tflops_per_s=tflops,
        peak_fraction=tflops / peak_tflops,
        loss=float(loss),
    )


HEADER = (
    f"{'model':<22}{'input':>14}{'batch':>6}{'params':>12}{'compile s':>10}{'steps/s':>9}"
    f"{'clips/s':>10}{'GFLOP/step':>12}{'from':>16}{'TFLOP/s':>9}{'% peak':>8}"
)
NOTES = {
    "3x fwd (rnn)": "3 x the analytic forward FLOPs: XLA counts an RNN's loop body once",
    "3x fwd (no xla)": "3 x the analytic forward FLOPs: XLA's cost analysis gave none",
}


def format_row(r: Row) -> str:
    """One line of the table under `HEADER`."""
    return (
        f"{r.model:<22}{r.input_shape:>14}{r.batch:>6}{r.params:>12,}{r.compile_s:>10.1f}"
        f"{r.steps_per_s:>9.2f}{r.clips_per_s:>10.1f}{r.flops_per_step / 1e9:>12.2f}"
        f"{r.flops_from:>16}{r.tflops_per_s:>9.3f}{100 * r.peak_fraction:>8.2f}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--size", choices=SCALES, default=scale(), help="smoke or full (default: $ZOO_SCALE)"
    )
    parser.add_argument(
        "--models",
        default=",".join(models.available(task="video")),
        help="comma-separated model names (default: every video model)",
    )
    parser.add_argument("--steps", type=int, help="timed steps (default: 3 smoke, 20 full)")
    parser.add_argument("--batch", type=int, help="clips per step, for every model")
    parser.add_argument(
        "--peak-tflops",
        type=float,
        required=True,
        help="the accelerator's dense bf16 peak in TFLOP/s, e.g. 989 for an H200\n"
        "(1,979 is with 2:4 sparsity; a large bf16 matmul reaches about 790 on the lent one)",
    )
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if keras.backend.backend() != "jax":
        raise SystemExit(f"needs KERAS_BACKEND=jax, not {keras.backend.backend()!r}")
    keras.mixed_precision.set_global_policy(POLICY)
    steps = args.steps or STEPS[args.size]
    device = jax.devices()[0]
    print(
        f"{device.device_kind} ({device.platform}), JAX {jax.__version__}, Keras "
        f"{keras.__version__}, {POLICY}, size {args.size}, {steps} timed steps, "
        f"peak {args.peak_tflops:g} TFLOP/s",
        flush=True,
    )
    print(HEADER, "-" * len(HEADER), sep="\n", flush=True)
    rows, skipped = [], {}
    for name in args.models.split(","):
        try:
            row = measure(name, setup_for(name, args.size, args.batch), steps, args.peak_tflops)
        except ModuleNotFoundError as error:
            skipped[name] = f"needs {error.name}, which is not installed here"
            print(f"{name:<22}skipped: {skipped[name]}", flush=True)
            continue
        rows.append(row)
        print(format_row(row), flush=True)
    for source in sorted({r.flops_from for r in rows} & NOTES.keys()):
        print(f"{source}: {NOTES[source]}")
    if args.json:
        report = {
            "device": device.device_kind,
            "platform": device.platform,
            "jax": jax.__version__,
            "keras": keras.__version__,
            "policy": POLICY,
            "size": args.size,
            "steps": steps,
            "peak_tflops": args.peak_tflops,
            "rows": [dataclasses.asdict(r) for r in rows],
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if not all(math.isfinite(r.loss) for r in rows):
        raise SystemExit("a loss is not finite")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# benchmarks/gpu.py at full size on the lent GPU machine (JAX, no TensorFlow, no Keras).
#
# Needs the Python 3.12 wheels in .device_wheels/ (how to fetch them: benchmarks/gpu.py's
# docstring), carried with the working tree:
#
#     run(command="bash benchmarks/gpu_device.sh", carry=[".device_wheels"], timeout_s=600)
#
# Installs them into /tmp/site, then writes $OUT/gpu.json and $OUT/gpu.log. Arguments go to
# the benchmark and override its defaults: `bash benchmarks/gpu_device.sh --batch 256`.
set -euo pipefail

out="${OUT:-.}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .device_wheels/*.whl
export PYTHONPATH="$PWD:/tmp/site" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 benchmarks/gpu.py --size full --peak-tflops 989 --json "$out/gpu.json" "$@" 2>&1 \
    | tee "$out/gpu.log"

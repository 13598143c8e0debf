"""`zoo quickstart`, as a user runs it: data, training, evaluation, export and a prediction."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_quickstart_end_to_end(tmp_path):
    env = dict(os.environ, ZOO_CACHE=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "quickstart", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", result.stdout).group(1))
    assert accuracy >= 90.0, result.stdout
    predicted, true = re.search(r"predicted '(\w+)' .* true '(\w+)'", result.stdout).groups()
    assert predicted == true
    assert "--data digit_events" in result.stdout.strip().splitlines()[-1]  # the harder set next
    for name in ("model.keras", "labels.txt", "saved_model/saved_model.pb"):
        assert (tmp_path / "run" / name).exists(), name

"""Runs every failure case a new user hits and prints what they see, as the table of
docs/failures.md: `python scripts/failure_table.py > table.md` (about 5 minutes on 2 cores).

Each case runs the real `zoo` command in a fresh process on small generated
data; the table shows the command, its exit code and the command's own last
line on stderr (or stdout when stderr has none).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from zoo.datasets import make

TINY = ["--epochs", "1", "--batch-size", "4", "--clip-len", "4", "--size", "32"]


def long_video(path: Path, frames: int = 12_000) -> Path:
    """A 16x16 H.264 video of `frames` frames (6.7 minutes at 30 fps)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            image = np.full((16, 16, 3), i % 256, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def cases(work: Path) -> list[tuple[str, list[str]]]:
    """(what the user did, the command) for every case; sets up the files they need."""
    data = make(
        "moving_digits",
        work / "md",
        show_progress=False,
        videos_per_split=(16, 8, 8),
        canvas=32,
        digit_size=10,
    )
    broken_train = work / "bt"
    shutil.copytree(data, broken_train)
    (broken_train / "train" / "up" / "empty.mp4").write_bytes(b"")
    broken_val = work / "bv"
    shutil.copytree(data, broken_val)
    (broken_val / "val" / "up" / "empty.mp4").write_bytes(b"")
    broken_test = work / "bte"
    shutil.copytree(data, broken_test)
    (broken_test / "test" / "up" / "notes.mp4").write_text("not a video\n")
    flat = work / "flat"
    for video in data.glob("train/*/*.mp4"):
        (flat / video.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(video, flat / video.parent.name)
    long = long_video(work / "long.mp4")
    run = str(work / "run")
    train = ["train", "--model", "frame_cnn", *TINY]
    return [
        (
            "train, a broken training video, `--on-error raise`",
            [*train, "--data", str(broken_train), "--out", str(work / "r1"), "--on-error", "raise"],
        ),
        (
            "train, a broken validation video, `--on-error raise`",
            [*train, "--data", str(broken_val), "--out", str(work / "r2"), "--on-error", "raise"],
        ),
        (
            "train, a broken training video (default: skip)",
            [*train, "--data", str(broken_train), "--out", str(work / "r3")],
        ),
        (
            "train on a flat `ROOT/<label>/<video>` folder",
            [*train, "--data", str(flat), "--out", run],
        ),
        (
            "evaluate that run with no `--data` (the held-out videos)",
            ["evaluate", run, "--clips", "1", "--crops", "1"],
        ),
        (
            "evaluate, a text file renamed `.mp4`, `--on-error raise`",
            ["evaluate", run, "--data", str(broken_test), "--on-error", "raise"],
        ),
        (
            "evaluate, a text file renamed `.mp4` (default: skip)",
            ["evaluate", run, "--data", str(broken_test)],
        ),
        (
            "train, a misspelt builder option",
            [
                *train,
                "--data",
                str(data),
                "--out",
                str(work / "r4"),
                "--model-options",
                '{"widht": 4}',
            ],
        ),
        (
            "train, options that are not JSON",
            [
                *train,
                "--data",
                str(data),
                "--out",
                str(work / "r4"),
                "--model-options",
                "{width: 4}",
            ],
        ),
        (
            "train `--epochs 0`",
            [*train, "--data", str(data), "--out", str(work / "r4"), "--epochs", "0"],
        ),
        (
            "train an audio model on video data",
            [*train, "--data", str(data), "--out", str(work / "r4"), "--model", "audio_cnn"],
        ),
        (
            "train, a batch larger than the data set",
            [*train, "--data", str(data), "--out", str(work / "r5"), "--batch-size", "100"],
        ),
        (
            "train, an unknown model",
            [*train, "--data", str(data), "--out", str(work / "r4"), "--model", "resnet"],
        ),
        ("scan a 12,000-frame video", ["scan", str(long)]),
        ("predict 5 clips of a 12,000-frame video", ["predict", run, str(long), "--clips", "5"]),
        ("predict a folder", ["predict", run, str(data / "test")]),
        ("version", ["--version"]),
    ]


def own_line(result: subprocess.CompletedProcess) -> str:
    """The command's own last line: TensorFlow's log lines and progress bars left out."""
    lines = [
        line.strip()
        for line in (result.stderr or result.stdout).splitlines()
        if line.strip() and not line.startswith(("WARNING: All log", "I0000", "W0000", "E0000"))
    ]
    return lines[-1].split("\r")[-1] if lines else ""


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="zoo-failures-"))
    print("| what the user did | command | exit | what they see |\n| --- | --- | --- | --- |")
    for what, argv in cases(work):
        result = subprocess.run(
            [sys.executable, "-m", "zoo.cli", *argv],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "COLUMNS": "200"},
        )
        shown = " ".join(a if len(a) < 40 else "…/" + Path(a).name for a in argv)
        line = own_line(result).replace(str(work), "…").replace("|", "\\|")
        print(f"| {what} | `zoo {shown}` | {result.returncode} | {line} |", flush=True)
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Decoding on a tf.data service: a dispatcher and two workers (`zoo data-service`), each in
its own process on localhost, serve `video_dataset(..., service=)` and `zoo train`.

The servers start once for the module (importing TensorFlow is most of the cost) while
the data set is built. The last test kills a worker, so it stays last.
"""

from __future__ import annotations

import collections
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from run_training import TINY_RUN, KillAt

from zoo import cli
from zoo.data import list_clips, tfrecord, video_dataset
from zoo.train import train

pytestmark = pytest.mark.timeout(300)  # far above the 10-60 s each takes: hangs only
CLIP = dict(clip_len=TINY_RUN["clip_len"], size=TINY_RUN["size"], batch_size=4)
START_TIMEOUT_S = 180  # importing TensorFlow took 70 s on 2 cores shared with training


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line `process` prints, or "" when none comes within `timeout` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


class Servers:
    """`zoo data-service` processes: one dispatcher and `workers` workers on free ports.

    Each prints one line once it is up; `wait` waits for those lines. Their
    stderr goes to files in `logs`, shown when one fails to start.
    """

    def __init__(self, logs: Path, workers: int) -> None:
        port = _free_port()
        self._address = f"127.0.0.1:{port}"
        self.dispatcher = self._start(logs / "dispatcher.log", "--dispatcher", "--port", str(port))
        self.workers = [
            self._start(
                logs / f"worker{i}.log",
                *("--worker", "--port", str(_free_port()), "--dispatcher-address", self._address),
            )
            for i in range(workers)
        ]
        self._logs = logs
        self._up: list[subprocess.Popen] = []  # the servers that said they are up

    @staticmethod
    def _start(log: Path, *args: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "zoo.cli", "data-service", "--host", "127.0.0.1", *args]
        with open(log, "w") as stderr:
            return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)

    def wait(self) -> str:
        """The dispatcher's address, once every server has said it is up."""
        for process in [self.dispatcher, *self.workers][len(self._up) :]:
            if not _first_line(process, START_TIMEOUT_S).startswith("tf.data service"):
                logs = "\n".join(f.read_text()[-2000:] for f in sorted(self._logs.glob("*.log")))
                pytest.fail(f"a server did not start within {START_TIMEOUT_S} s:\n{logs}")
            self._up.append(process)
        return self._address

    def stop(self) -> None:
        """Kills every server and waits for it."""
        for process in [self.dispatcher, *self.workers]:
            process.kill()
            process.wait(timeout=30)
            process.stdout.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A dispatcher and two workers, started (not yet up), all killed after the module."""
    servers = Servers(tmp_path_factory.mktemp("service"), workers=2)
    try:
        yield servers
    finally:
        servers.stop()


def _clips(ds) -> tuple[list[bytes], collections.Counter]:
    """Every clip of a finite dataset (its bytes, sorted) and the count of each label."""
    clips, labels = [], collections.Counter()
    for frames, label in ds.as_numpy_iterator():
        clips += [clip.tobytes() for clip in frames]
        labels.update(label.tolist())
    return sorted(clips), labels


@pytest.fixture(scope="module")
def shards(tiny_digits, tmp_path_factory) -> Path:
    """The training videos of `tiny_digits` as 4 TFRecord shards (frames kept at 32x32)."""
    out = tmp_path_factory.mktemp("shards")
    tfrecord.write_shards(list_clips(tiny_digits, "train"), out, show_progress=False)
    return out


@pytest.mark.parametrize("form", ["videos", "shards"])
def test_distributed_epoch_gives_every_video_once_and_parallel_epochs_once_per_worker(
    service, tiny_digits, shards, form
):
    source = dict(source=tiny_digits, split="train") if form == "videos" else dict(source=shards)
    local, labels = _clips(video_dataset(**source, **CLIP))
    assert len(local) == 32 and labels == {0: 8, 1: 8, 2: 8, 3: 8}
    address = service.wait()
    # Evaluation clips (no augmentation) are the same bytes wherever they are decoded.
    assert _clips(video_dataset(**source, service=address, **CLIP)) == (local, labels)
    both = video_dataset(**source, service=address, processing_mode="parallel_epochs", **CLIP)
    twice = sorted(local + local), collections.Counter({k: 2 * n for k, n in labels.items()})
    assert _clips(both) == twice


def test_cache_is_refused_with_a_service(tiny_digits):
    with pytest.raises(ValueError, match="cached on each worker"):
        video_dataset(tiny_digits, split="val", service="127.0.0.1:1", cache=True, **CLIP)


def test_zoo_train_passes_the_address(monkeypatch):
    given = {}
    monkeypatch.setattr("zoo.train.train", lambda *args, **kwargs: given.update(kwargs))
    argv = ["train", "--model", "cnn_lstm", "--data", "d", "--out", "o", "--data-service", "h:1"]
    assert cli.main(argv) == 0 and given["data_service"] == "h:1"


def test_training_reads_through_the_service_and_outlives_a_killed_worker(
    service, tiny_digits, tmp_path, capsys
):
    address, run = service.wait(), tmp_path / "run"
    killed = service.workers[1]
    # 8 steps an epoch: the kill comes before the third of 16 steps, so most clips come after.
    kill = KillAt(epoch=0, batch=2, pid=killed.pid)
    train(
        "cnn_lstm",
        tiny_digits,
        run,
        epochs=2,
        data_service=address,
        callbacks=[kill],
        verbose=2,
        **TINY_RUN,
    )
    assert killed.wait(timeout=10) == -9 and service.workers[0].poll() is None
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 3  # the header and both epochs
    assert json.loads((run / "config.json").read_text())["data_service"] == address
    # The address is how data arrive, not a setting of the run: without it, the same run
    # is found finished, not refused as a run with other settings.
    capsys.readouterr()
    train("cnn_lstm", tiny_digits, run, epochs=2, verbose=2, **TINY_RUN)
    assert "holds this run, finished: nothing to do" in capsys.readouterr().out

"""Video loading speed: clips/s of four loaders on the same generated files, in one run.

    python benchmarks/loader.py            # 48 files, 2 passes, best of 3 rounds
    python benchmarks/loader.py --quick    # 16 files, 1 pass, best of 2 rounds: a smoke run

The files are UCF101-like: 320x240, 150 frames at 25 fps, H.264. Every loader
makes the same clips: 10 frames 15 apart from a random start, 224x224 (float32
for the tutorial, uint8 pixels for ours, as zoo models take them), in batches of 8.

    tutorial   the TF "load video data" tutorial: OpenCV `FrameGenerator`
               through `tf.data.Dataset.from_generator`
    raw        the decode limit: PyAV alone in a thread pool of os.cpu_count()
               threads, no tf.data, no resizing, frames to RGB with PyAV's
               default `to_ndarray(format="rgb24")`
    raw 1-thread rgb  the same, converting to RGB the way `read_video` does
               (swscale on the calling thread): the stricter limit
    ours mp4   `zoo.data.video_dataset` on the video files, training path
               (`augment=True`: the decoder scales frames down, then a random crop)
    ours mp4 eval  the same with `augment=False`: the evaluation path, which
               resizes in TF exactly like the exported serving signature
    ours tfrec `zoo.data.video_dataset` on TFRecord shards of the same videos
    ... float32  the same with `dtype="float32"`: clips in [0, 1], four times the
               bytes to batch (the behaviour before clips stayed uint8)

Each measurement runs in a fresh process (OpenCV's decoder threads were seen
to slow the next loader in the same process) and makes `EPOCHS` passes over
the files; the loaders take turns for several rounds and each keeps its best:
on a machine shared with other work, the best round is the least disturbed.
Timing runs from iterator creation to the last batch, after one warm-up batch,
and the iterator is deleted after the clock stops: in TF 2.21 deleting a
tf.data iterator with autotune on can block for seconds (see shared/stack.md).

CPU: each measurement also gives the CPU time its process spent per clip
(user and system, all threads), a figure that other jobs on the machine
hardly move, unlike clips/s: two loaders that keep every core busy compare
by it as by their rates, and it is printed per round beside the rates.

Memory: while it measures, each process samples its resident set every 10 ms
(`/proc/self/statm`); the peak above the resident set once its imports are
done is what the loader itself took (buffers, prefetched batches, decoder
state, threads' stacks), printed per loader as the largest of the rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo.data import list_clips, video_dataset  # noqa: E402
from zoo.data.tfrecord import write_shards  # noqa: E402

WIDTH, HEIGHT, FRAMES, FPS = 320, 240, 150, 25
CLIP_LEN, STEP, SIZE, BATCH = 10, 15, 224, 8
CLASSES = 4
EPOCHS = 2  # passes over the files per round (1 with --quick)


def make_videos(root: Path, count: int) -> Path:
    """`count` H.264 files under `root/<class>/`, each a different moving texture with noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    for i in range(count):
        folder = root / f"class{i % CLASSES}"
        folder.mkdir(parents=True, exist_ok=True)
        fx, fy, speed = rng.uniform(0.02, 0.1, 3)
        with av.open(str(folder / f"v{i:03d}.mp4"), "w") as out:
            stream = out.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            for t in range(FRAMES):
                phase = t * speed * 10
                base = 128 + 60 * np.sin(fx * x + phase) * np.cos(fy * y - phase)
                image = np.stack([base, np.roll(base, 7, 1), 255 - base], -1)
                image += rng.normal(0, 6, image.shape)
                frame = av.VideoFrame.from_ndarray(
                    np.clip(image, 0, 255).astype(np.uint8), format="rgb24"
                )
                out.mux(stream.encode(frame))
            out.mux(stream.encode())
    return root


# --- the TF tutorial's loader, as published (OpenCV + from_generator) --------------------


def format_frames(frame, output_size):
    frame = tf.image.convert_image_dtype(frame, tf.float32)
    return tf.image.resize_with_pad(frame, *output_size)


def frames_from_video_file(video_path, n_frames, output_size=(SIZE, SIZE), frame_step=STEP):
    result = []
    src = cv2.VideoCapture(str(video_path))
    video_length = src.get(cv2.CAP_PROP_FRAME_COUNT)
    need_length = 1 + (n_frames - 1) * frame_step
    start = (
        0 if need_length > video_length else random.randint(0, int(video_length - need_length) + 1)
    )
    src.set(cv2.CAP_PROP_POS_FRAMES, start)
    ret, frame = src.read()
    result.append(format_frames(frame, output_size))
    for _ in range(n_frames - 1):
        for _ in range(frame_step):
            ret, frame = src.read()
        if ret:
            result.append(format_frames(frame, output_size))
        else:
            result.append(np.zeros_like(result[0]))
    src.release()
    return np.array(result)[..., [2, 1, 0]]


class FrameGenerator:
    def __init__(self, paths: list[str], labels: list[int], n_frames: int):
        self.paths, self.labels, self.n_frames = paths, labels, n_frames

    def __call__(self):
        pairs = list(zip(self.paths, self.labels, strict=True))
        random.shuffle(pairs)
        for path, label in pairs:
            yield frames_from_video_file(path, self.n_frames), label


def tutorial_dataset(root: Path) -> tf.data.Dataset:
    clips = list_clips(root)
    signature = (tf.TensorSpec((None, None, None, 3), tf.float32), tf.TensorSpec((), tf.int16))
    ds = tf.data.Dataset.from_generator(
        FrameGenerator(clips.paths, clips.labels, CLIP_LEN), output_signature=signature
    )
    return ds.batch(BATCH)


# --- the raw decode limit ------------------------------------------------------------------


def rgb_default(frame: av.VideoFrame) -> np.ndarray:
    """PyAV's plain conversion: swscale starts a pool of threads for every frame."""
    return frame.to_ndarray(format="rgb24")


def rgb_one_thread(frame: av.VideoFrame) -> np.ndarray:
    """The conversion `zoo.data.read_video` uses: swscale on the calling thread only."""
    return frame.reformat(format="rgb24", threads=1).to_ndarray()


def raw_clip(path: str, seed: int, to_rgb: Callable[[av.VideoFrame], np.ndarray]) -> np.ndarray:
    """Plain PyAV: decode up to the clip's last frame, RGB for the clip's frames only."""
    start = np.random.default_rng(seed).integers(0, FRAMES - (CLIP_LEN - 1) * STEP)
    wanted = set(range(start, start + CLIP_LEN * STEP, STEP))
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        for i, frame in enumerate(container.decode(stream)):
            if i in wanted:
                frames.append(to_rgb(frame))
                if len(frames) == CLIP_LEN:
                    break
    return np.stack(frames)


def cpu_seconds() -> float:
    """CPU time this process has used so far, all its threads, user and system."""
    times = os.times()
    return times.user + times.system


@dataclasses.dataclass
class Rate:
    """What one measurement found: clips per second of wall time, and CPU milliseconds per clip.

    The CPU cost is the steadier of the two on a shared machine: another job
    takes cores away from a loader (its clips/s drops) but hardly changes the
    work it does per clip.
    """

    clips_per_s: float
    cpu_ms_per_clip: float


def raw_clips_per_s(paths: list[str], seed: int, to_rgb: Callable) -> Rate:
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        begin, cpu = time.perf_counter(), cpu_seconds()
        clips = sum(
            1 for _ in pool.map(lambda i: raw_clip(paths[i], seed + i, to_rgb), range(len(paths)))
        )
        return Rate(clips / (time.perf_counter() - begin), 1000 * (cpu_seconds() - cpu) / clips)


# --- timing tf.data -------------------------------------------------------------------------


def clips_per_s(ds: tf.data.Dataset) -> Rate:
    """Clips/s after the first batch, and CPU per clip over every batch.

    The wall clock starts after one warm-up batch (start-up and the first
    decodes). The CPU clock starts before it, at iterator creation, and counts
    its clips too: clips decoded ahead into the prefetch buffers during the
    warm-up are then paid for where they are counted. (The graph's functions
    were traced when the dataset was built, before either clock.)
    """
    cpu = cpu_seconds()
    batches: Iterable = iter(ds)
    first = int(next(batches)[0].shape[0])
    begin = time.perf_counter()
    clips = sum(int(x.shape[0]) for x, _ in batches)
    seconds, cpu_s = time.perf_counter() - begin, cpu_seconds() - cpu
    del batches  # may stall; the clocks have stopped
    return Rate(clips / seconds, 1000 * cpu_s / (first + clips))


def resident_mb() -> float:
    """The resident memory of this process now, in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """`with PeakMemory() as peak:` samples the resident memory every 10 ms in a thread;
    `peak.above_start_mb` is then the highest reading above the one at the start."""

    def __init__(self) -> None:
        self.start = self.peak = resident_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, resident_mb())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, resident_mb())

    @property
    def above_start_mb(self) -> float:
        return self.peak - self.start


LOADERS = (
    "tutorial",
    "raw",
    "raw 1-thread rgb",
    "ours mp4",
    "ours mp4 eval",
    "ours TFRecord",
    "ours mp4 float32",
    "ours TFRecord float32",
)


def measure(loader: str, root: Path, seed: int, epochs: int) -> Rate:
    """Clips/s and CPU per clip of one loader over `epochs` passes of the files in `root`."""
    random.seed(seed)
    shards = root.parent / f"{root.name}_tfrecord"
    clip = dict(clip_len=CLIP_LEN, frame_step=STEP, size=SIZE, batch_size=BATCH, shuffle=True)
    if loader == "tutorial":
        return clips_per_s(tutorial_dataset(root).repeat(epochs))
    if loader.startswith("raw"):
        to_rgb = rgb_default if loader == "raw" else rgb_one_thread
        return raw_clips_per_s(list_clips(root).paths * epochs, seed * 1000, to_rgb)
    source = shards if loader.startswith("ours TFRecord") else root
    augment = loader.startswith("ours mp4") and "eval" not in loader
    dtype = "float32" if loader.endswith("float32") else "uint8"
    ds = video_dataset(source, deterministic=False, seed=seed, augment=augment, dtype=dtype, **clip)
    return clips_per_s(ds.repeat(epochs))


def size_options(description: str) -> argparse.ArgumentParser:
    """The options of the loading benchmarks (this one, `service.py`): --quick, --data, --rounds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="16 files, 1 pass, best of 2 rounds: a smoke run"
    )
    parser.add_argument(
        "--data", help="folder to keep the generated files in (default: a temp folder)"
    )
    parser.add_argument("--rounds", type=int, help="rounds to keep the best of (default 3)")
    return parser


def sizes(args: argparse.Namespace) -> tuple[int, int, int]:
    """The files, rounds and passes per round that the `size_options` in `args` ask for."""
    count, rounds, epochs = (16, 2, 1) if args.quick else (48, 3, EPOCHS)
    return count, args.rounds or rounds, epochs


def per_round(rounds_of: dict[str, list[float]], top: str, bottom: str) -> list[float]:
    """The ratio of two loaders' rates in each round."""
    return [a / b for a, b in zip(rounds_of[top], rounds_of[bottom], strict=True)]


def main() -> None:
    parser = size_options(__doc__.split("\n\n")[0])
    parser.add_argument("--measure", choices=LOADERS, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    count, rounds, epochs = sizes(args)
    if args.measure:  # one measurement in this fresh process: rate, then MB the loader took
        with PeakMemory() as memory:
            rate = measure(args.measure, Path(args.data), args.seed, epochs)
        print(rate.clips_per_s, rate.cpu_ms_per_clip, memory.above_start_mb)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.data or tmp) / f"ucf_like_{count}"
        if not root.exists():
            print(f"making {count} videos {WIDTH}x{HEIGHT}, {FRAMES} frames, H.264 ...", flush=True)
            make_videos(root, count)
        shards = root.parent / f"{root.name}_tfrecord"
        if not shards.exists():
            write_shards(
                list_clips(root), shards, num_shards=8, shorter_side=SIZE, show_progress=False
            )
        results = dict.fromkeys(LOADERS, 0.0)
        rounds_of: dict[str, list[float]] = {loader: [] for loader in LOADERS}
        cpu_of: dict[str, list[float]] = {loader: [] for loader in LOADERS}
        memory = dict.fromkeys(LOADERS, 0.0)
        for r in range(rounds):
            for loader in LOADERS:
                command = [sys.executable, __file__, "--measure", loader, "--data", str(root)]
                command += ["--seed", str(r)] + (["--quick"] if args.quick else [])
                run = subprocess.run(command, capture_output=True, text=True, check=True)
                rate, cpu_ms, megabytes = map(float, run.stdout.split()[-3:])
                results[loader] = max(results[loader], rate)
                rounds_of[loader].append(rate)
                cpu_of[loader].append(cpu_ms)
                memory[loader] = max(memory[loader], megabytes)
                print(
                    f"round {r + 1}: {loader:20s} {rate:7.1f} clips/s {cpu_ms:6.1f} CPU ms/clip"
                    f" {megabytes:6.0f} MB",
                    flush=True,
                )
    print(f"\n{count} files x {epochs} passes, best of {rounds} rounds, {os.cpu_count()} CPUs:")
    names = {
        "tutorial": "tutorial (OpenCV + from_generator)",
        "raw": f"raw PyAV, {os.cpu_count()} threads",
        "raw 1-thread rgb": f"raw PyAV, {os.cpu_count()} threads, 1-thread rgb",
    }
    print(f"  {'loader':40s} {'clips/s':>7s}  {'CPU ms/clip':>11s}  peak MB above imports")
    for loader, rate in results.items():
        cpu_ms = min(cpu_of[loader])
        print(
            f"  {names.get(loader, loader):40s} {rate:7.1f}  {cpu_ms:11.1f}  {memory[loader]:7.0f}"
        )
    tutorial, raw, raw_strict, mp4, mp4_eval, tfrec, mp4_f32, tfrec_f32 = results.values()
    print(f"\nours mp4 / tutorial            {mp4 / tutorial:5.2f}x  (goal >= 5)")
    print(f"ours mp4 / raw limit           {mp4 / raw:5.2f}x  (goal >= 0.9)")
    print(f"ours mp4 / raw, 1-thread rgb   {mp4 / raw_strict:5.2f}x  (goal >= 0.95)")
    print(f"ours mp4 eval / raw, 1-thread  {mp4_eval / raw_strict:5.2f}x  (exact serving resize)")
    print(f"ours TFRecord / ours mp4       {tfrec / mp4:5.2f}x  (goal >= 3 in every round)")
    print(f"ours mp4 float32 / raw, 1-thr. {mp4_f32 / raw_strict:5.2f}x")
    print(f"ours TFRecord / mp4, float32   {tfrec_f32 / mp4_f32:5.2f}x")
    print(
        "per round, TFRecord / mp4:     "
        + " ".join(f"{r:.2f}" for r in per_round(rounds_of, "ours TFRecord", "ours mp4"))
    )
    print(
        "per round, the same in float32:"
        + " ".join(
            f"{r:.2f}" for r in per_round(rounds_of, "ours TFRecord float32", "ours mp4 float32")
        )
    )
    print(f"ours mp4 memory / tutorial     {memory['ours mp4'] / memory['tutorial']:5.2f}x")
    # The same comparison by the work done per clip, which other jobs on the machine hardly move.
    for loader in ("ours mp4", "ours mp4 float32"):
        by_cpu = per_round(cpu_of, "raw 1-thread rgb", loader)
        print(
            f"{loader + ' / raw 1-thread, by CPU ms per clip, per round:':58s} "
            + " ".join(f"{r:.2f}" for r in by_cpu)
        )


if __name__ == "__main__":
    main()

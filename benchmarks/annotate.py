"""Real-time factor of `zoo annotate`: seconds of video annotated per second, on 2 CPU cores.

    python benchmarks/annotate.py [--model pretrained:r2plus1d] [--repeats 3]

On the first `digit_timelines` video (built in $ZOO_CACHE if needed), in one
process: decoding the whole video alone (`read_video` at the model's
resolution), then the whole `annotate` (the same decoding, windows, model,
smoothing, segments). Prints both real-time factors and their ratio; the best
of `--repeats` runs counts, after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def best_seconds(run, repeats: int) -> float:
    """The fastest of `repeats` timed calls of `run()`, after one untimed warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: zoo.annotate.DEFAULT_MODEL")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2, help="CPU cores to run on")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.cores)
    tf.config.threading.set_inter_op_parallelism_threads(args.cores)
    from zoo import annotate, datasets, predict
    from zoo.data.decode import read_video

    video = datasets.make("digit_timelines", show_progress=False) / "test" / "timeline_00000.mp4"
    model = args.model or annotate.DEFAULT_MODEL
    classifier = predict.load(model)
    decoded = read_video(video, None, annotate.LIMITS, shorter_side=classifier.size)
    duration = len(decoded.frames) / decoded.fps

    def decode() -> None:
        read_video(video, None, annotate.LIMITS, shorter_side=classifier.size)

    decode_s = best_seconds(decode, args.repeats)
    annotate_s = best_seconds(lambda: annotate.annotate(classifier, video), args.repeats)
    print(
        f"video: {video.name}, {duration:.1f} s, {len(decoded.frames)} frames; model {model}; "
        f"{args.cores} cores"
    )
    print(f"decode only : {decode_s:.3f} s  real-time factor {duration / decode_s:8.1f}x")
    print(f"annotate    : {annotate_s:.3f} s  real-time factor {duration / annotate_s:8.1f}x")
    print(f"annotate takes {annotate_s / decode_s:.1f}x the time of decoding alone")


if __name__ == "__main__":
    main()

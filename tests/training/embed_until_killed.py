"""`zoo embed` in its own process, SIGKILLed while it writes shard N: `embed_until_killed.py
N DATA OUT SHARD_SIZE`. The kill comes after half of that shard's records reached its
temporary file, so the resume test sees a run cut in the middle of a write.
"""

from __future__ import annotations

import os
import signal
import sys

import zoo.embed
from zoo.data import features
from zoo.embed import embed

# A videoprism small enough to embed 56 videos of 32x32 in a few seconds.
TINY_VIDEOPRISM = {"image_size": 32, "hidden_dim": 32, "intermediate_dim": 64}
TINY_CLIP = dict(clip_len=4, size=32)


def killing_write_shard(kill_at: int):
    """`write_shard` that SIGKILLs this process halfway through its `kill_at`-th call."""
    calls = []

    def write_shard(path, records):
        calls.append(path)
        if len(calls) <= kill_at:
            return features.write_shard(path, records)
        records = list(records)
        tmp = path.with_name(f".{path.name}.tmp")
        import tensorflow as tf

        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for record in records[: len(records) // 2]:
                writer.write(record)
        os.kill(os.getpid(), signal.SIGKILL)

    return write_shard


if __name__ == "__main__":
    kill_at, data, out, shard_size = sys.argv[1:]
    zoo.embed.write_shard = killing_write_shard(int(kill_at))
    embed(
        "videoprism",
        data,
        out,
        shard_size=int(shard_size),
        model_options=TINY_VIDEOPRISM,
        show_progress=False,
        **TINY_CLIP,
    )

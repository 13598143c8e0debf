"""The reference a decoder test compares with: PyAV's full sequential decode.

`decoder_output` is every frame in the order FFmpeg's decoder puts it out
(the order `ffmpeg -i FILE -f rawvideo -` writes), converted to RGB by PyAV;
`check_random_frames` holds `read_video` to it.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from zoo.data import read_video


def decoder_output(path: Path) -> tuple[np.ndarray, list[int | None]]:
    """Every frame of `path`, uint8 `(T, H, W, 3)` RGB in decoder output order, and their pts."""
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
    return np.stack([f.to_ndarray(format="rgb24") for f in decoded]), [f.pts for f in decoded]


def check_random_frames(path: Path, seed: int = 7) -> np.ndarray:
    """Asserts that seeded random index sets (any order, repeats, spread out or clustered)
    and the whole file come out of `read_video` equal to `decoder_output`, pixel for pixel.
    Returns that output."""
    expected = decoder_output(path)[0]
    rng = np.random.default_rng(seed)
    count = len(expected)
    for size in (1, 2, 3, 5, 8, 13):
        spread = rng.integers(0, count, size)
        clustered = np.sort(rng.integers(0, max(count - 4, 1), 1) + rng.integers(0, 4, size))
        for indices in (spread, np.minimum(clustered, count - 1)):
            video = read_video(path, indices)
            np.testing.assert_array_equal(video.frames, expected[indices], err_msg=str(indices))
            np.testing.assert_array_equal(video.indices, indices)
    np.testing.assert_array_equal(read_video(path).frames, expected)
    return expected

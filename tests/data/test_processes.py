"""Reading videos from other processes: a forked child reads at once, and errors cross back."""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest

from zoo.data import VideoDecodeError, read_video


def _first_frame(path: str) -> np.ndarray:
    return read_video(path, indices=[0]).frames[0]


def test_a_forked_child_reads_after_its_parent_did(media):
    """The parent's idle reader threads do not exist in a forked child: the child starts its
    own instead of queueing its read for them and waiting out the time limit (60 s)."""
    path = str(media["h264"])
    expected = _first_frame(path)  # leaves an idle reader thread in this process
    with multiprocessing.get_context("fork").Pool(1) as pool:
        np.testing.assert_array_equal(pool.apply_async(_first_frame, (path,)).get(20), expected)


def test_a_decode_error_crosses_a_process_boundary(tmp_path):
    err = VideoDecodeError(tmp_path / "a.mp4", "no video stream")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is VideoDecodeError and str(again) == str(err)
    assert (again.path, again.reason) == (err.path, err.reason)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        with pytest.raises(VideoDecodeError, match="missing.mp4"):
            pool.apply_async(_first_frame, (str(tmp_path / "missing.mp4"),)).get(20)

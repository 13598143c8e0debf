"""Tiny generated media for the data-layer tests: every file is made with PyAV.

`pattern` draws known frames (smooth colour so 4:2:0 chroma survives, busy
luma so codecs have work); `write_video` encodes them with any codec, frame
rate, timestamps, rotation and audio track; `psnr` compares pixels.
`counter` draws frames that show their own frame number, `read_counter`
reads it back, so a test can tell which frame came out.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

av.logging.set_level(av.logging.PANIC)

HEIGHT, WIDTH, FRAMES = 48, 64, 10

# name -> (codec, pixel format, extension, encoder options)
CODECS = {
    "h264": ("libx264", "yuv420p", "mp4", {"crf": "10"}),
    "h265": ("libx265", "yuv420p", "mkv", {"crf": "10", "x265-params": "log-level=none"}),
    "vp8": ("libvpx", "yuv420p", "webm", {"crf": "4", "b": "2M"}),
    "vp9": ("libvpx-vp9", "yuv420p", "webm", {"crf": "10", "b": "0"}),
    "av1": ("libsvtav1", "yuv420p", "mkv", {"crf": "10", "svtav1-params": "log-level=0"}),
    "mpeg4": ("mpeg4", "yuv420p", "avi", {"qmin": "1", "qmax": "2", "b": "20M"}),
    "mjpeg": ("mjpeg", "yuvj420p", "mov", {"qmin": "1", "qmax": "2", "b": "20M"}),
    "ffv1": ("ffv1", "bgr0", "mkv", {}),
}


def pattern(num_frames: int = FRAMES, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """Known uint8 frames `(T, H, W, 3)`: a moving luma wave on slowly varying colour."""
    t, y, x = np.meshgrid(np.arange(num_frames), np.arange(height), np.arange(width), indexing="ij")
    luma = 128 + 80 * np.sin(x / 5 + y / 7 + t / 2)
    rgb = np.stack([luma + 25 * np.sin(x / 40), luma, luma + 25 * np.cos(y / 30)], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def write_video(
    path: Path,
    frames: np.ndarray,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict | None = None,
    rate: int = 10,
    times: list[float] | None = None,
    rotation: int = 0,
    tone_hz: float | None = None,
    container_options: dict | None = None,
) -> Path:
    """Encodes `frames` (uint8 `(T, H, W, 3)` RGB) into `path`.

    `times` gives each frame's timestamp in seconds (a variable frame rate);
    `rotation` stores a display matrix (degrees counter-clockwise); `tone_hz`
    adds a mono 16 kHz sine audio track as long as the video.
    """
    with av.open(str(path), "w", options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        stream.options = dict(options or {})
        if times is not None:
            stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        audio = out.add_stream("aac", rate=16000, layout="mono") if tone_hz else None
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if audio is not None:
            _write_tone(out, audio, tone_hz, len(frames) / rate)
    return path


def _write_tone(out, stream, hz: float, seconds: float) -> None:
    rate = stream.rate
    samples = (0.5 * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(
        np.float32
    )
    for begin in range(0, samples.size, 1024):
        chunk = samples[begin : begin + 1024][None]
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, begin
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 arrays (inf when equal)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def counter(num_frames: int, size: int = 32, bits: int = 16) -> np.ndarray:
    """uint8 `(T, size, size, 3)` frames that show their own frame number in binary:
    a square grid of `bits` black or white cells, bit 0 top left. `read_counter` reads it."""
    side = math.isqrt(bits)
    cells = (np.arange(num_frames)[:, None] >> np.arange(bits) & 1).reshape(-1, side, side)
    block = size // side
    image = np.repeat(np.repeat(cells * 255, block, axis=1), block, axis=2).astype(np.uint8)
    return np.repeat(image[..., None], 3, axis=-1)


def read_counter(frames: np.ndarray, bits: int = 16, white: float = 255.0) -> np.ndarray:
    """The frame numbers that `counter` frames `(T, H, W, 3)` show; `white` is 1.0 for floats."""
    side = math.isqrt(bits)
    count, height, width = frames.shape[:3]
    cells = frames[..., 1].reshape(count, side, height // side, side, width // side)
    cells = cells.mean(axis=(2, 4)) > white / 2
    return (cells.reshape(count, bits) << np.arange(bits)).sum(axis=1)


def remux(source: Path, target: Path, pts_from_dts: bool = False) -> Path:
    """Copies the video packets of `source` into `target` (container by extension) without
    decoding them, as `ffmpeg -c copy` does. `pts_from_dts` drops the composition offsets:
    presentation times become decode times, as a broken muxer writes them."""
    with av.open(str(source)) as original, av.open(str(target), "w") as out:
        stream = original.streams.video[0]
        copy = out.add_stream_from_template(stream)
        for packet in original.demux(stream):
            if packet.size:  # not the empty packet that ends the demuxing
                packet.pts = packet.dts if pts_from_dts else packet.pts
                packet.stream = copy
                out.mux(packet)
    return target

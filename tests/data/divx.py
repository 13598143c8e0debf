"""DivX/Xvid "packed B-frames" in AVI, the layout old Video for Windows encoders wrote.

Video for Windows wants one packet in and one frame out, so packed encoders
put the first B-frame after a reference frame into that frame's packet and
fill the slot left at the end of the B-frames with an N-VOP (a "not coded"
frame), and they mark the stream with DivX user data ending in "p". FFmpeg's
`mpeg4_unpack_bframes` bitstream filter undoes this; `write_packed_avi` does
the reverse to what FFmpeg's own MPEG-4 encoder writes, since no encoder here
writes it directly. Out of PyAV's decoder the frames of such a file come in
the right order, but with timestamps 1, 2, 4, 3, 5, 7, 6, ...
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

VOP = b"\x00\x00\x01\xb6"  # start code of a video object plane (a frame)
PACKED_USER_DATA = b"\x00\x00\x01\xb2DivX503b1393p"  # user data start code; "p": packed
OPTIONS = {"qmin": "1", "qmax": "2", "b": "20M", "g": "12"}


def write_packed_avi(path: Path, frames: np.ndarray, rate: int = 10, b_frames: int = 2) -> Path:
    """Encodes `frames` (uint8 `(T, H, W, 3)` RGB) as packed MPEG-4 Part 2 in AVI."""
    packets = encode(frames, rate, b_frames)
    first = packets[0].find(VOP)
    packets[0] = packets[0][:first] + PACKED_USER_DATA + packets[0][first:]
    with av.open(str(path), "w", format="avi") as out:
        stream = out.add_stream("mpeg4", rate=rate)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.codec_context.codec_tag = "XVID"
        for slot, data in enumerate(pack(packets, rate)):
            packet = av.Packet(data)
            packet.stream, packet.time_base = stream, Fraction(1, rate)
            packet.pts = packet.dts = slot
            packet.is_keyframe = vop_type(data) == 0
            out.mux(packet)
    return path


def encode(frames: np.ndarray, rate: int, b_frames: int) -> list[bytes]:
    """FFmpeg's MPEG-4 Part 2 packets for `frames`, in decode order, one frame each."""
    encoder = av.CodecContext.create("mpeg4", "w")
    encoder.width, encoder.height, encoder.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, rate), rate
    encoder.max_b_frames = b_frames
    encoder.options = OPTIONS
    packets = []
    for image in frames:
        packets += encoder.encode(av.VideoFrame.from_ndarray(image, format="rgb24"))
    packets += encoder.encode()
    return [bytes(p) for p in packets]


def vop_type(data: bytes) -> int:
    """The coding type of the first frame in `data`: 0 I, 1 P, 2 B."""
    return data[data.find(VOP) + 4] >> 6


def pack(packets: list[bytes], rate: int) -> list[bytes]:
    """Reference frame R followed by B-frames B1 ... Bn becomes `R+B1, B2, ..., Bn, N-VOP`."""
    packed: list[bytes] = []
    in_b_frames = False
    for data in packets:
        if vop_type(data) != 2:
            packed.append(data)
        elif not in_b_frames:
            packed[-1] += data  # the first B-frame rides with its reference frame
            packed.append(n_vop(rate))  # the slot it left, at the end of the B-frames
        else:
            packed.insert(len(packed) - 1, data)
        in_b_frames = vop_type(data) == 2
    return packed


def n_vop(rate: int) -> bytes:
    """A P-frame header with `vop_coded = 0`: a frame that repeats the one before.

    Bits: coding type 01, modulo time base 0, marker 1, time increment (as many
    bits as `rate - 1` needs, the time base FFmpeg's encoder gives the stream),
    marker 1, vop_coded 0, then stuffing (0 and ones) to a byte boundary.
    """
    bits = "01" + "0" + "1" + "0" * max((rate - 1).bit_length(), 1) + "1" + "0"
    bits += "0" + "1" * (-(len(bits) + 1) % 8)
    return VOP + int(bits, 2).to_bytes(len(bits) // 8, "big")

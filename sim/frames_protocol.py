"""The camera stream's wire format: how a simulated drone's frames travel over a TCP socket.

The simulator (`skywatch sim --cameras`) listens for each drone i on TCP
127.0.0.1:`camera_port(base_port, i, n)` (BASE+80+i for up to 40 vehicles; `sim.runner`).
Nothing is rendered for a drone until a client has asked for it:

1. The client connects and sends one line of JSON: `{"streams": ["rgb", "thermal"]}` (either
   or both) followed by `\\n`.
2. The server answers with messages, each `uint32 N` (big-endian), N bytes of UTF-8 JSON (the
   header), then `header["data_bytes"]` bytes of pixels. A bad subscription gets one message
   `{"type": "error", "message": "..."}` (naming the field) and the connection closes.

A frame's header (`"type": "frame"`):

    vehicle, name          index and name of the drone ("uav0")
    modality               "rgb" (encoding rgb8, HxWx3 uint8) or "thermal" (mono16: HxW uint16
                           centi-kelvin, little-endian, is_bigendian 0)
    seq, t_s               per-stream frame counter; sim time the frame was captured at
    t_unix_s               the same instant on the simulator's clock as UTC (Unix seconds):
                           the wall-clock time the simulator started plus `t_s`, so it is the
                           wall clock at 1x and runs ahead of it at higher speed-ups
    width_px, height_px, step, encoding, is_bigendian, data_bytes   as sensor_msgs/Image
    k                      the 3x3 camera matrix, row-major, as sensor_msgs/CameraInfo.k
    pose                   lat_deg, lon_deg, alt_amsl_m, alt_rel_m (above home), roll_deg,
                           pitch_deg, yaw_deg (MAVLink ATTITUDE), gimbal_pitch_deg (from
                           the horizon: the gimbal is stabilised), gimbal_yaw_deg (from the
                           nose): the conventions of skywatch_interfaces/VehiclePose and
                           perception.geolocate
    truth                  every object the frame shows: object_id, label, box [x1, y1, x2, y2]
                           (pixels, x1 <= x < x2), pixels, lat_deg, lon_deg, alt_amsl_m,
                           range_m, temp_k (null when it has none)

A client that reads too slowly misses frames (at most two wait for it); others are unaffected.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

MODALITIES = ("rgb", "thermal")
ENCODINGS = {"rgb": "rgb8", "thermal": "mono16"}
MAX_HEADER_BYTES = 1 << 20
MAX_DATA_BYTES = 64 << 20
MAX_SUBSCRIPTION_BYTES = 4096
_LENGTH = struct.Struct(">I")


class FrameProtocolError(ValueError):
    """A message or subscription that breaks the format; the text names the field."""


def encode_message(header: dict[str, Any], data: bytes = b"") -> bytes:
    header = {**header, "data_bytes": len(data)}
    raw = json.dumps(header, separators=(",", ":")).encode()
    return _LENGTH.pack(len(raw)) + raw + data


def subscription_line(streams: tuple[str, ...]) -> bytes:
    return json.dumps({"streams": list(streams)}).encode() + b"\n"


def parse_subscription(line: bytes) -> tuple[str, ...]:
    """The streams a client asked for, in `MODALITIES` order, or FrameProtocolError."""
    try:
        doc = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FrameProtocolError("subscription: not a line of JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("streams"), list):
        raise FrameProtocolError("subscription.streams: expected a list of "
                                 f"{' / '.join(MODALITIES)}")
    streams = doc["streams"]
    unknown = [s for s in streams if s not in MODALITIES]
    if unknown or not streams:
        raise FrameProtocolError(f"subscription.streams: {unknown or streams!r} is not a "
                                 f"non-empty list of {' / '.join(MODALITIES)}")
    return tuple(m for m in MODALITIES if m in streams)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError(f"stream closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_message(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    """One (header, data) from the socket; ConnectionError when it closes."""
    (n,) = _LENGTH.unpack(_read_exact(sock, _LENGTH.size))
    if n > MAX_HEADER_BYTES:
        raise FrameProtocolError(f"header: {n} bytes is more than {MAX_HEADER_BYTES}")
    try:
        header = json.loads(_read_exact(sock, n))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FrameProtocolError("header: not JSON") from None
    size = header.get("data_bytes") if isinstance(header, dict) else None
    if not isinstance(size, int) or not 0 <= size <= MAX_DATA_BYTES:
        raise FrameProtocolError(f"header.data_bytes: {size!r} is not a size up to "
                                 f"{MAX_DATA_BYTES}")
    return header, _read_exact(sock, size)

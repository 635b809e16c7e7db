"""Receive a simulated drone's camera frames (see `sim.frames_protocol` for the format).

    with FrameClient.connect("127.0.0.1", port, ("rgb", "thermal")) as client:
        frame = client.receive()      # a StreamFrame: image, intrinsics, pose, sim time, truth

Used by the ROS 2 camera bridge and by tests; it needs nothing but the standard library and
NumPy, so any process can watch a drone's cameras.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from sim.frames_protocol import FrameProtocolError, read_message, subscription_line

CONNECT_RETRY_S = 0.1
MESSAGE_TIMEOUT_S = 30.0


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamFrame:
    vehicle: int
    name: str
    modality: str
    seq: int
    t_s: float  #: sim seconds since the simulator started
    t_unix_s: float  #: the same instant as UTC on the simulator's clock (`sim.frames_protocol`)
    image: np.ndarray  #: rgb: HxWx3 uint8; thermal: HxW uint16 centi-kelvin
    k: tuple[float, ...]  #: row-major 3x3, as sensor_msgs/CameraInfo.k
    pose: dict[str, float]
    truth: tuple[dict[str, Any], ...]
    encoding: str  #: rgb8 or mono16

    @property
    def width_px(self) -> int:
        return int(self.image.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.image.shape[0])


def frame_from_message(header: dict[str, Any], data: bytes) -> StreamFrame:
    """Check a frame message and view its pixels as an array."""
    if header.get("type") == "error":
        raise FrameProtocolError(f"server: {header.get('message')}")
    try:
        encoding = header["encoding"]
        w, h, step = int(header["width_px"]), int(header["height_px"]), int(header["step"])
        dtype, channels = {"rgb8": (np.uint8, 3), "mono16": (np.dtype("<u2"), 1)}[encoding]
        if step != w * channels * np.dtype(dtype).itemsize or len(data) != step * h:
            raise FrameProtocolError(f"header.data_bytes: {len(data)} bytes do not hold "
                                     f"{h} rows of {step} bytes")
        image = np.frombuffer(data, dtype=dtype).reshape((h, w, 3) if channels == 3 else (h, w))
        return StreamFrame(vehicle=int(header["vehicle"]), name=str(header["name"]),
                           modality=str(header["modality"]), seq=int(header["seq"]),
                           t_s=float(header["t_s"]), t_unix_s=float(header["t_unix_s"]),
                           image=image,
                           k=tuple(float(x) for x in header["k"]), pose=dict(header["pose"]),
                           truth=tuple(header["truth"]), encoding=encoding)
    except KeyError as e:
        raise FrameProtocolError(f"header.{e.args[0]}: missing or unknown") from None


class FrameClient:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def connect(cls, host: str, port: int, streams: tuple[str, ...],
                timeout_s: float = 10.0) -> FrameClient:
        """Connect (retrying until `timeout_s` while the simulator starts) and subscribe."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=timeout_s)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(CONNECT_RETRY_S)
        sock.sendall(subscription_line(streams))
        return cls(sock)

    def receive(self, timeout_s: float | None = 10.0) -> StreamFrame:
        """The next frame; TimeoutError when none begins within `timeout_s`. A frame that has
        begun is read whole (a time-out in its middle would lose the stream's framing)."""
        self.sock.settimeout(timeout_s)
        if not self.sock.recv(1, socket.MSG_PEEK):
            raise ConnectionError("the simulator closed the camera stream")
        self.sock.settimeout(MESSAGE_TIMEOUT_S)
        return frame_from_message(*read_message(self.sock))

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> FrameClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

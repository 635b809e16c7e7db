"""sensor_msgs/Image to NumPy and back, refusing frames that do not add up.

A frame cut short on the link, or with a step or encoding that does not match its size, raises
`BadImage` naming the problem; the node reports it and waits for the next frame.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import Image

from perception.detection import BadImage

#: encoding -> (dtype, channels); rgb8 and bgr8 both come out RGB.
ENCODINGS: dict[str, tuple[type[np.generic], int]] = {
    "mono8": (np.uint8, 1), "8UC1": (np.uint8, 1),
    "mono16": (np.uint16, 1), "16UC1": (np.uint16, 1),
    "rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "8UC3": (np.uint8, 3),
}


def image_to_array(msg: Image) -> np.ndarray:
    """HxW (mono) or HxWx3 RGB array of the frame; a copy, so the message can go."""
    if msg.encoding not in ENCODINGS:
        raise BadImage(f"encoding {msg.encoding!r} is not supported (one of "
                       f"{', '.join(ENCODINGS)})")
    dtype, channels = ENCODINGS[msg.encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height == 0 or width == 0:
        raise BadImage(f"image is empty ({width}x{height})")
    row_bytes = width * channels * np.dtype(dtype).itemsize
    if step < row_bytes:
        raise BadImage(f"step {step} is shorter than a row of {width} {msg.encoding} pixels "
                       f"({row_bytes} bytes)")
    have = len(msg.data)
    if have < step * height:
        raise BadImage(f"frame is truncated: {have} bytes of data, {height} rows of {step} "
                       f"bytes need {step * height}")
    rows = np.frombuffer(msg.data, np.uint8, count=step * height).reshape(height, step)
    order = ">" if msg.is_bigendian else "<"
    pixels = np.ascontiguousarray(rows[:, :row_bytes]).view(np.dtype(dtype).newbyteorder(order))
    image = pixels.reshape(height, width, channels).astype(dtype)
    if msg.encoding == "bgr8":
        image = image[..., ::-1]
    return np.ascontiguousarray(image[..., 0] if channels == 1 else image)


def array_to_image(image: np.ndarray, encoding: str) -> Image:
    """The frame as a message (header left for the caller); the inverse of `image_to_array`
    for mono8, mono16 and rgb8."""
    dtype, channels = ENCODINGS[encoding]
    if image.dtype != dtype or (image.ndim == 3) != (channels == 3):
        raise ValueError(f"{encoding} needs {np.dtype(dtype).name} with {channels} channel(s), "
                         f"got {image.dtype} {image.shape}")
    if encoding == "bgr8":
        image = image[..., ::-1]
    data = np.ascontiguousarray(image).astype(np.dtype(dtype).newbyteorder("<"))
    return Image(height=image.shape[0], width=image.shape[1], encoding=encoding,
                 is_bigendian=0, step=image.shape[1] * channels * data.itemsize,
                 data=data.tobytes())

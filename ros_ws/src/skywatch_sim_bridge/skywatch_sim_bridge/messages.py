"""One simulator frame (`sim.frames_client.StreamFrame`) as the ROS 2 messages a drone publishes.

Every message of a frame carries the frame's capture time on the simulator's clock as its stamp
(UTC: the simulator's start plus sim seconds; `t_unix_s` in `sim.frames_protocol`), so a
subscriber pairs an image with its camera info, the pose it was taken from and its truth by
stamp alone, and the ground server dates detections in the present, as from a real drone. Frame ids
follow the topics: `<name>/camera` (RGB), `<name>/thermal`, `<name>/base_link` (pose).
"""

from __future__ import annotations

from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image
from skywatch_interfaces.msg import TruthObject, TruthObjectArray, VehiclePose
from std_msgs.msg import Header

from sim.frames_client import StreamFrame

#: Per modality: the topic prefix (as `skywatch_perception` subscribes) and frame id suffix.
CAMERA_NAMES = {"rgb": "camera", "thermal": "thermal"}


def stamp_of(t_s: float) -> Time:
    ns = round(t_s * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def header_of(frame: StreamFrame, frame_id: str | None = None) -> Header:
    return Header(stamp=stamp_of(frame.t_unix_s),
                  frame_id=frame_id or f"{frame.name}/{CAMERA_NAMES[frame.modality]}")


def image_of(frame: StreamFrame) -> Image:
    channels = 3 if frame.image.ndim == 3 else 1
    return Image(header=header_of(frame), height=frame.height_px, width=frame.width_px,
                 encoding=frame.encoding, is_bigendian=0,
                 step=frame.width_px * channels * frame.image.dtype.itemsize,
                 data=frame.image.tobytes())


def camera_info_of(frame: StreamFrame) -> CameraInfo:
    """Ideal pinhole: no distortion, K as rendered, P = [K | 0]."""
    fx, _, cx, _, fy, cy, _, _, _ = frame.k
    return CameraInfo(header=header_of(frame), height=frame.height_px, width=frame.width_px,
                      distortion_model="plumb_bob", d=[0.0] * 5, k=list(frame.k),
                      r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                      p=[fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0])


def pose_of(frame: StreamFrame) -> VehiclePose:
    p = frame.pose
    return VehiclePose(header=header_of(frame, f"{frame.name}/base_link"),
                       lat_deg=p["lat_deg"], lon_deg=p["lon_deg"], alt_amsl_m=p["alt_amsl_m"],
                       alt_rel_m=p["alt_rel_m"], roll_deg=p["roll_deg"],
                       pitch_deg=p["pitch_deg"], yaw_deg=p["yaw_deg"],
                       gimbal_pitch_deg=p["gimbal_pitch_deg"],
                       gimbal_yaw_deg=p["gimbal_yaw_deg"])


def truth_of(frame: StreamFrame) -> TruthObjectArray:
    objects = [TruthObject(object_id=t["object_id"], label=t["label"], x1=float(t["box"][0]),
                           y1=float(t["box"][1]), x2=float(t["box"][2]), y2=float(t["box"][3]),
                           lat_deg=t["lat_deg"], lon_deg=t["lon_deg"],
                           alt_amsl_m=t["alt_amsl_m"]) for t in frame.truth]
    return TruthObjectArray(header=header_of(frame), objects=objects)

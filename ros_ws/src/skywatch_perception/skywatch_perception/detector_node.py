"""Detector node: one camera's frames in, `skywatch_interfaces/DetectionArray` out.

Subscribes `thermal/image_raw` or `camera/image_raw` (relative to the vehicle's namespace) with
sensor-data QoS and a queue of one, so a slow detector skips to the newest frame instead of
falling behind. Publishes `detections` (reliable) for every frame it looked at, empty when it
found nothing. A frame that cannot be read is reported on the log (`/rosout`) and skipped.

The expected size of a person comes from the ground sample distance: the vehicle's `pose`
(height above home; the camera's pitch, the stabilised gimbal's from the horizon, which the
airframe's cruise tilt does not change) and the camera's focal length (`thermal/camera_info` or
`camera/camera_info`); until both have arrived, thermal frames assume HIT-UAV's median box
(12x19 px) and RGB frames search people of every size HOG can see (slower).
Radiometric frames (mono16 centi-kelvin, as the simulator and radiometric cameras send) are
searched by temperature (`perception.radiometric`); 8-bit frames by the learned detector. A
user's model (`model_path`) gets every frame.

Parameters: `modality` (thermal | rgb), `model_path` (a YOLO-style ONNX file; empty for the
shipped detectors), `min_score`, `person_w_px`/`person_h_px` (a fixed expected person size;
0 to take it from the pose), `crop_margin_px` (-1 to send no evidence crops).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from skywatch_interfaces.msg import Detection as DetectionMsg
from skywatch_interfaces.msg import DetectionArray, VehiclePose

from perception.detection import BadImage, Detection, Detector, Modality
from perception.detectors import detector_for
from perception.radiometric import (
    RadiometricDetector,
    RadiometricParams,
    ground_scale_by_row,
    is_radiometric,
)
from perception.thermal import DEFAULT_PERSON_PX
from skywatch_perception.evidence import crop_jpeg
from skywatch_perception.images import image_to_array
from skywatch_perception.person_size import bucket_person_px, centre_range_m, size_bucket

#: Best effort like `qos_profile_sensor_data`, but only the newest frame waits.
FRAME_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)
#: Reliable, and deep enough (100 s of arrays at 5 frames/s) that a reader stalled by a busy
#: CPU catches up instead of losing the arrays the writer's history no longer holds.
DETECTIONS_QOS = QoSProfile(depth=500, reliability=ReliabilityPolicy.RELIABLE,
                            history=HistoryPolicy.KEEP_LAST)
STATE_QOS = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)  # accepts reliable publishers too
IMAGE_TOPICS = {Modality.THERMAL: "thermal/image_raw", Modality.RGB: "camera/image_raw"}
INFO_TOPICS = {Modality.THERMAL: "thermal/camera_info", Modality.RGB: "camera/camera_info"}
#: Detectors kept for different person sizes (each holds an ONNX session).
SIZED_DETECTORS = 8


def detection_id(vehicle: str, modality: Modality, stamp_sec: int, stamp_nanosec: int,
                 index: int) -> str:
    """Unique per vehicle, camera, frame and detection: the uplink's idempotency key."""
    return f"{vehicle}-{modality.value}-{stamp_sec}.{stamp_nanosec:09d}-{index}"


def to_message(d: Detection, *, ident: str, modality: Modality, crop: bytes) -> DetectionMsg:
    return DetectionMsg(detection_id=ident, label=d.label, modality=modality.value,
                        score=float(d.score), x1=float(d.box.x1), y1=float(d.box.y1),
                        x2=float(d.box.x2), y2=float(d.box.y2), crop_jpeg=crop)


class DetectorNode(Node):
    def __init__(self) -> None:
        super().__init__("detector")
        self.modality = Modality(self.declare_parameter("modality", "thermal").value)
        model_path = str(self.declare_parameter("model_path", "").value)
        self.min_score = float(self.declare_parameter("min_score", 0.25).value)
        person_w = float(self.declare_parameter("person_w_px", 0.0).value)
        person_h = float(self.declare_parameter("person_h_px", 0.0).value)
        self.crop_margin_px = int(self.declare_parameter("crop_margin_px", 8).value)
        self.fixed_size = person_w > 0 and person_h > 0
        person_px = (person_w, person_h) if self.fixed_size else DEFAULT_PERSON_PX
        self.fixed_person_px = person_px
        self.model_path = Path(model_path) if model_path else None
        self.detector: Detector = detector_for(self.modality, self.model_path,
                                               person_px=person_px if self.fixed_size else None)
        self.sized: OrderedDict[int, Detector] = OrderedDict()
        self.focal_px: float | None = None
        self.cy_px: float | None = None
        self.range_m: float | None = None
        self.alt_rel_m: float | None = None
        self.camera_pitch_deg = -90.0  #: from the horizon
        self.vehicle = self.get_namespace().strip("/").replace("/", "_") or "vehicle"
        self.frames_seen = 0
        self.frames_refused = 0
        self.publisher = self.create_publisher(DetectionArray, "detections", DETECTIONS_QOS)
        topic = IMAGE_TOPICS[self.modality]
        self.create_subscription(Image, topic, self.on_frame, FRAME_QOS)
        if not self.fixed_size and self.model_path is None:
            self.create_subscription(VehiclePose, "pose", self.on_pose, STATE_QOS)
            self.create_subscription(CameraInfo, INFO_TOPICS[self.modality], self.on_camera_info,
                                     STATE_QOS)
        self.get_logger().info(
            f"detecting {self.modality.value} on {self.resolve_topic_name(topic)} with "
            f"{type(self.detector).__name__}, min_score {self.min_score}")

    def on_pose(self, msg: VehiclePose) -> None:
        # The gimbal is stabilised (VehiclePose.msg): its pitch is the camera's, from the
        # horizon, whatever the airframe's tilt.
        self.camera_pitch_deg = float(msg.gimbal_pitch_deg)
        self.range_m = centre_range_m(msg.alt_rel_m, self.camera_pitch_deg)
        self.alt_rel_m = float(msg.alt_rel_m) if self.range_m is not None else None

    def on_camera_info(self, msg: CameraInfo) -> None:
        self.focal_px = float(msg.k[0]) if msg.k[0] > 0 else None
        self.cy_px = float(msg.k[5])

    def detector_now(self) -> Detector:
        """The detector for the person size this frame should show (see `person_size`)."""
        if self.focal_px is None or self.range_m is None:
            return self.detector
        bucket = size_bucket(self.focal_px, self.range_m)
        if bucket not in self.sized:
            person_px = bucket_person_px(bucket)
            self.sized[bucket] = detector_for(self.modality, None, person_px=person_px)
            self.get_logger().info(f"people expected at {person_px[0]:.1f}x{person_px[1]:.1f} "
                                   f"px ({self.range_m:.0f} m, focal {self.focal_px:.0f} px)")
            if len(self.sized) > SIZED_DETECTORS:
                self.sized.popitem(last=False)
        self.sized.move_to_end(bucket)
        return self.sized[bucket]

    def person_px_now(self) -> tuple[float, float]:
        """The person size this frame should show: fixed, from the pose, or the default."""
        if self.fixed_size or self.focal_px is None or self.range_m is None:
            return self.fixed_person_px
        return bucket_person_px(size_bucket(self.focal_px, self.range_m))

    def detector_for_frame(self, image: np.ndarray) -> Detector:
        if (self.modality is Modality.THERMAL and self.model_path is None
                and is_radiometric(image)):
            rows = None  # each row's scale once height, tilt and lens are known
            alt, focal, cy = self.alt_rel_m, self.focal_px, self.cy_px
            if not self.fixed_size and alt is not None and focal is not None and cy is not None:
                rows = ground_scale_by_row(alt, -self.camera_pitch_deg, focal, cy,
                                           image.shape[0])
            return RadiometricDetector(RadiometricParams(person_px=self.person_px_now(),
                                                         px_per_m_by_row=rows))
        return self.detector_now()

    def on_frame(self, msg: Image) -> None:
        self.frames_seen += 1
        stamp = msg.header.stamp
        try:
            image = image_to_array(msg)
            started = time.perf_counter()
            found = [d for d in self.detector_for_frame(image).detect(image, self.modality)
                     if d.score >= self.min_score]
            elapsed_ms = (time.perf_counter() - started) * 1000
        except BadImage as e:
            self.frames_refused += 1
            self.get_logger().error(f"frame {stamp.sec}.{stamp.nanosec:09d} refused: {e}")
            return
        out = DetectionArray(header=msg.header, image_width=msg.width, image_height=msg.height)
        out.detections = [
            to_message(d, ident=detection_id(self.vehicle, self.modality, stamp.sec,
                                             stamp.nanosec, i),
                       modality=self.modality, crop=self._crop(image, d))
            for i, d in enumerate(found)
        ]
        for m in out.detections:
            m.header = msg.header
        self.publisher.publish(out)
        self.get_logger().debug(f"{len(found)} detections in {elapsed_ms:.1f} ms")

    def _crop(self, image: np.ndarray, d: Detection) -> bytes:
        return b"" if self.crop_margin_px < 0 else crop_jpeg(image, d.box, self.crop_margin_px)


def main(args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    node = DetectorNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()

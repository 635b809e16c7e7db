"""Geolocator and tracker node: detections, pose and intrinsics in, tracked ground objects out.

For each `detections` array the node takes the vehicle `pose` nearest the frame's stamp and the
intrinsics of the camera that saw it (`thermal/camera_info` or `camera/camera_info`), puts
every box centre on the ground with `perception.geolocate` (flat terrain at `ground_amsl_m`, or
at the home position's height when that parameter is not set; a box cut by the frame's edge is
not placed, its centre not being the object's: the frames that see the object whole place it),
and feeds the fixes to `perception.tracking.Tracker`. Every update publishes the confirmed
tracks (`min_hits` frames or more with a mean score of `min_mean_score` or more,
`perception.tracking.confirmed`: one frame's blob, or two faint ones, is not yet an object an
operator should be alarmed about) on `objects` (`skywatch_interfaces/GeolocatedObjectArray`),
each naming the detection that last confirmed it, once its position is known to `max_sigma_m`
(a fire seen at a grazing angle from 2 km is a direction, not a place on the map). Frames taken
below `min_alt_rel_m` above home are not placed: a drone on its dock or lifting off looks along
the ground, where a warm patch a few metres away is a "fire".
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass

import pymap3d
import rclpy
from builtin_interfaces.msg import Time
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo
from skywatch_interfaces.msg import (
    DetectionArray,
    GeolocatedObject,
    GeolocatedObjectArray,
    VehiclePose,
)

from perception.detection import Box
from perception.geolocate import CameraPose, FlatTerrain, Intrinsics, PoseErrors, pixel_to_ground
from perception.tracking import (
    MIN_HITS,
    MIN_MEAN_SCORE,
    Observation,
    Track,
    Tracker,
    confirmed,
)

STATE_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)  # accepts reliable publishers too
RELIABLE_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE,
                          history=HistoryPolicy.KEEP_LAST)
CAMERA_INFO_TOPICS = {"thermal": "thermal/camera_info", "rgb": "camera/camera_info"}


def stamp_s(t: Time) -> float:
    return t.sec + t.nanosec * 1e-9


def intrinsics_of(info: CameraInfo) -> Intrinsics:
    return Intrinsics(fx_px=info.k[0], fy_px=info.k[4], cx_px=info.k[2], cy_px=info.k[5],
                      width_px=info.width, height_px=info.height)


def camera_pose_of(p: VehiclePose) -> CameraPose:
    return CameraPose(lat_deg=p.lat_deg, lon_deg=p.lon_deg, alt_amsl_m=p.alt_amsl_m,
                      roll_deg=p.roll_deg, pitch_deg=p.pitch_deg, yaw_deg=p.yaw_deg,
                      gimbal_pitch_deg=p.gimbal_pitch_deg, gimbal_yaw_deg=p.gimbal_yaw_deg)


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    stamp: Time
    detection_id: str


class GeolocatorNode(Node):
    def __init__(self) -> None:
        super().__init__("geolocator")
        self.ground_amsl_m = float(self.declare_parameter("ground_amsl_m", math.nan).value)
        self.max_pose_age_s = float(self.declare_parameter("max_pose_age_s", 0.5).value)
        self.min_score = float(self.declare_parameter("min_score", 0.25).value)
        self.min_hits = int(self.declare_parameter("min_hits", MIN_HITS).value)
        self.min_mean_score = float(self.declare_parameter("min_mean_score",
                                                           MIN_MEAN_SCORE).value)
        self.min_alt_rel_m = float(self.declare_parameter("min_alt_rel_m", 5.0).value)
        self.max_sigma_m = float(self.declare_parameter("max_sigma_m", 10.0).value)
        self.errors = PoseErrors()
        self.vehicle = self.get_namespace().strip("/").replace("/", "_") or "vehicle"
        self.tracker = Tracker()
        self.poses: deque[tuple[float, VehiclePose]] = deque(maxlen=400)
        self.intrinsics: dict[str, Intrinsics] = {}
        self.origin: tuple[float, float] | None = None  # tracker's east/north origin (lat, lon)
        self.evidence: dict[int, Evidence] = {}
        self.ground_used_amsl_m = 0.0  # the flat terrain of the latest fix
        self.create_subscription(VehiclePose, "pose", self.on_pose, STATE_QOS)
        for modality, topic in CAMERA_INFO_TOPICS.items():
            self.create_subscription(
                CameraInfo, topic,
                lambda m, modality=modality: self.intrinsics.__setitem__(modality,
                                                                         intrinsics_of(m)),
                STATE_QOS)
        self.create_subscription(DetectionArray, "detections", self.on_detections, RELIABLE_QOS)
        self.publisher = self.create_publisher(GeolocatedObjectArray, "objects", RELIABLE_QOS)

    def on_pose(self, msg: VehiclePose) -> None:
        t = stamp_s(msg.header.stamp)
        if self.poses and t < self.poses[-1][0]:
            self.poses.clear()  # the clock went back: a restarted simulation
        self.poses.append((t, msg))

    def pose_at(self, t_s: float) -> VehiclePose | None:
        """The pose nearest `t_s`, if within `max_pose_age_s` of it."""
        if not self.poses:
            return None
        times = [p[0] for p in self.poses]
        i = bisect_left(times, t_s)
        near = min((j for j in (i - 1, i) if 0 <= j < len(times)),
                   key=lambda j: abs(times[j] - t_s))
        return self.poses[near][1] if abs(times[near] - t_s) <= self.max_pose_age_s else None

    def on_detections(self, msg: DetectionArray) -> None:
        t_s = stamp_s(msg.header.stamp)
        observations = self._observations(msg, t_s) if msg.detections else []
        tracks = self.tracker.update(t_s, [o for o, _ in observations])
        self._note_evidence(tracks, t_s, observations, msg.header.stamp)
        self.publisher.publish(self._objects(tracks, msg))

    def _observations(self, msg: DetectionArray, t_s: float) -> list[tuple[Observation, str]]:
        """Each detection put on the ground, with its id; none without a pose or intrinsics."""
        pose = self.pose_at(t_s)
        k = self.intrinsics.get(msg.detections[0].modality) or self.intrinsics.get("rgb")
        if pose is None or k is None:
            missing = (f"no pose within {self.max_pose_age_s:.1f} s" if pose is None
                       else "no camera_info yet")
            self.get_logger().warning(f"{len(msg.detections)} detections at {t_s:.3f} s not "
                                      f"placed: {missing}", throttle_duration_sec=5.0)
            return []
        if pose.alt_rel_m < self.min_alt_rel_m:
            return []  # on the ground or lifting off: see the module docstring
        if self.origin is None:
            self.origin = (pose.lat_deg, pose.lon_deg)
        self.ground_used_amsl_m = (self.ground_amsl_m if not math.isnan(self.ground_amsl_m)
                                   else pose.alt_amsl_m - pose.alt_rel_m)
        terrain = FlatTerrain(ground_amsl_m=self.ground_used_amsl_m)
        camera = camera_pose_of(pose)
        out: list[tuple[Observation, str]] = []
        for d in msg.detections:
            if d.score < self.min_score or Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2).cut_by_frame(
                    k.width_px, k.height_px):
                continue  # a box cut by the frame's edge: placed from the frames seeing it whole
            fix = pixel_to_ground((d.x1 + d.x2) / 2, (d.y1 + d.y2) / 2, camera, k, terrain,
                                  self.errors)
            if fix is None or fix.sigma is None:
                continue  # at or above the horizon
            east, north, _ = pymap3d.geodetic2enu(fix.lat_deg, fix.lon_deg, fix.alt_amsl_m,
                                                  self.origin[0], self.origin[1],
                                                  fix.alt_amsl_m)
            out.append((Observation(t_s=t_s, label=d.label, east_m=float(east),
                                    north_m=float(north), sigma_m=fix.sigma.semi_major_m,
                                    score=d.score, source=self.vehicle), d.detection_id))
        return out

    def _note_evidence(self, tracks: list[Track], t_s: float,
                       observations: list[tuple[Observation, str]], stamp: Time) -> None:
        """Which detection confirmed each track updated now: the nearest of its label."""
        for tr in tracks:
            if tr.last_t_s != t_s:
                continue
            same = [(o, ident) for o, ident in observations if o.label == tr.label]
            if same:
                _, ident = min(same, key=lambda p: math.hypot(p[0].east_m - tr.east_m,
                                                              p[0].north_m - tr.north_m))
                self.evidence[tr.track_id] = Evidence(stamp=stamp, detection_id=ident)
        live = {tr.track_id for tr in tracks}
        self.evidence = {k: v for k, v in self.evidence.items() if k in live}

    def _objects(self, tracks: list[Track], msg: DetectionArray) -> GeolocatedObjectArray:
        out = GeolocatedObjectArray(header=msg.header)
        if self.origin is None:
            return out
        ground = self.ground_used_amsl_m
        for tr in tracks:
            if (not confirmed(tr, min_hits=self.min_hits, min_mean_score=self.min_mean_score)
                    or tr.sigma_m > self.max_sigma_m):
                continue
            lat, lon, _ = pymap3d.enu2geodetic(tr.east_m, tr.north_m, 0.0, self.origin[0],
                                               self.origin[1], ground)
            ev = self.evidence.get(tr.track_id)
            out.objects.append(GeolocatedObject(
                track_id=tr.track_id, label=tr.label, lat_deg=float(lat), lon_deg=float(lon),
                alt_amsl_m=float(ground), sigma_major_m=tr.sigma_m, sigma_minor_m=tr.sigma_m,
                major_bearing_deg=0.0, confidence=tr.confidence, hits=tr.hits,
                evidence_stamp=ev.stamp if ev else Time(),
                evidence_detection_id=ev.detection_id if ev else ""))
        return out


def main(args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    node = GeolocatorNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()

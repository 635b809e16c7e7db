"""Uplink node: this vehicle's `detections` and `objects` to the ground server, over any link.

Every message is converted and committed to the outbox (a SQLite file) in its callback; a
sender thread drains the outbox to `POST /api/detections` in batches, oldest first, backing off
while the server cannot be reached. Tracked objects are forwarded at most once per
`object_period_s` per track, and only with new evidence (more hits): the geolocator
republishes every live track after every frame, seen in it or not.

Parameters: `server_url`, `username` (a `vehicle` account for this vehicle), `password_env`
(the environment variable holding its password: kept off the command line), `vehicle_id`
(default: the namespace, `/uav0` -> `uav0`), `outbox_path` (default
`$ROS_HOME/skywatch/uplink-<vehicle>.db`, ROS_HOME defaulting to ~/.ros), `batch_size`,
`max_backoff_s`, `object_period_s`, `preview_period_s` (the live camera preview of each
camera, `camera/image_raw` and `thermal/image_raw`, with its boxes: `preview.py`; 0: none)
and `preview_width_px`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.time import Time as RosTime
from sensor_msgs.msg import Image
from skywatch_interfaces.msg import DetectionArray, GeolocatedObjectArray

from skywatch_bridge.client import GroundClient
from skywatch_bridge.items import detection_items, object_item
from skywatch_bridge.outbox import Outbox
from skywatch_bridge.preview import PreviewFeed
from skywatch_bridge.sender import Backoff, Sender

PREVIEW_TOPICS = {"thermal": "thermal/image_raw", "rgb": "camera/image_raw"}
IN_QOS = QoSProfile(depth=500, reliability=ReliabilityPolicy.RELIABLE,
                    history=HistoryPolicy.KEEP_LAST)


def default_outbox(vehicle_id: str) -> Path:
    ros_home = Path(os.environ.get("ROS_HOME", Path.home() / ".ros"))
    return ros_home / "skywatch" / f"uplink-{vehicle_id}.db"


class UplinkNode(Node):
    def __init__(self) -> None:
        super().__init__("uplink")
        namespace_id = self.get_namespace().strip("/").replace("/", "_") or "vehicle"
        self.vehicle_id = str(self.declare_parameter("vehicle_id", namespace_id).value)
        server_url = str(self.declare_parameter("server_url", "http://127.0.0.1:8000").value)
        username = str(self.declare_parameter("username", f"bridge-{self.vehicle_id}").value)
        password_env = str(self.declare_parameter("password_env",
                                                  "SKYWATCH_VEHICLE_PASSWORD").value)
        outbox_path = str(self.declare_parameter("outbox_path", "").value)
        batch_size = int(self.declare_parameter("batch_size", 100).value)
        max_backoff_s = float(self.declare_parameter("max_backoff_s", 10.0).value)
        self.object_period_ns = int(
            float(self.declare_parameter("object_period_s", 1.0).value) * 1e9)
        password = os.environ.get(password_env)
        if not password:
            raise SystemExit(f"uplink: the vehicle password is not set: export {password_env}")
        path = Path(outbox_path) if outbox_path else default_outbox(self.vehicle_id)
        self.outbox = Outbox(path)
        self.client = GroundClient(server_url, username, password)
        self.sender = Sender(self.outbox, self.client, self._log, batch_size=batch_size,
                             backoff=Backoff(max_s=max_backoff_s))
        #: track id -> (stamp, hits) of its last update sent
        self.last_forwarded: dict[int, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.sender.run, args=(self._stop,),
                                        name="uplink-sender", daemon=True)
        self.create_subscription(DetectionArray, "detections", self.on_detections, IN_QOS)
        self.create_subscription(GeolocatedObjectArray, "objects", self.on_objects, IN_QOS)
        self._thread.start()
        preview_period_s = float(self.declare_parameter("preview_period_s", 0.5).value)
        preview_width_px = int(self.declare_parameter("preview_width_px", 320).value)
        self.preview: PreviewFeed | None = None
        self._preview_thread: threading.Thread | None = None
        if preview_period_s > 0:
            self._preview_client = GroundClient(server_url, username, password)
            feed = PreviewFeed(self._preview_client, self.vehicle_id, self._log,
                               period_s=preview_period_s, max_width_px=preview_width_px)
            for modality, topic in PREVIEW_TOPICS.items():
                self.create_subscription(Image, topic, lambda msg, m=modality: feed.on_image(
                    m, msg), qos_profile_sensor_data)
            self.preview = feed
            self._preview_thread = threading.Thread(target=feed.run, args=(self._stop,),
                                                    name="uplink-preview", daemon=True)
            self._preview_thread.start()
        self.get_logger().info(f"uplink of {self.vehicle_id} to {server_url} as {username}; "
                               f"outbox {path} ({len(self.outbox)} waiting)")

    def on_detections(self, msg: DetectionArray) -> None:
        if self.preview is not None:
            self.preview.on_detections(msg)
        items, dropped = detection_items(msg, self.vehicle_id)
        for reason in dropped:
            self.get_logger().warning(f"detection not sent: {reason}")
        if self.outbox.put(items):
            self.sender.wake()

    def on_objects(self, msg: GeolocatedObjectArray) -> None:
        now_ns = RosTime.from_msg(msg.header.stamp).nanoseconds
        due = []
        for o in msg.objects:
            last = self.last_forwarded.get(o.track_id)
            if last is None or now_ns < last[0] or (
                    now_ns - last[0] >= self.object_period_ns and o.hits != last[1]):
                due.append(object_item(o, self.vehicle_id, msg.header.stamp))
                self.last_forwarded[o.track_id] = (now_ns, o.hits)
        if self.outbox.put(due):
            self.sender.wake()

    def _log(self, level: str, text: str) -> None:
        # One call per severity: rclpy ties a call site to the severity of its first call.
        logger = self.get_logger()
        if level == "error":
            logger.error(text)
        elif level == "warning":
            logger.warning(text)
        else:
            logger.info(text)

    def close(self) -> None:
        """Stop the sender between batches; whatever is queued stays on disk for next time."""
        self._stop.set()
        self.sender.wake()
        self._thread.join(timeout=10.0)
        if self._preview_thread is not None:
            self._preview_thread.join(timeout=10.0)
            self._preview_client.close()
        self.client.close()
        self.outbox.close()


def main(args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    node = UplinkNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown()

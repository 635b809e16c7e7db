"""Bridge node: one simulated drone's camera stream (`skywatch sim --cameras`) onto ROS 2.

Connects to the simulator's TCP camera port for the drone (`sim.frames_protocol`: BASE+80+i)
and publishes, relative to the node's namespace (`/uav<i>`), stamped with the capture time on
the simulator's clock (UTC: its start plus sim seconds):

    camera/image_raw, camera/camera_info      sensor_msgs Image (rgb8) and CameraInfo
    thermal/image_raw, thermal/camera_info    mono16 centi-kelvin (30500 = 305 K)
    pose                                      skywatch_interfaces/VehiclePose of the frame
    truth                                     skywatch_interfaces/TruthObjectArray per frame
                                              (frame_id names the camera; for evaluation only)

Images go out reliable with a queue of two, so best-effort (sensor-data) subscribers and
reliable ones both connect; a slow subscriber misses frames rather than delaying the others.
When the simulator is not there yet, or goes away, the node retries every second.

Parameters: `host` (127.0.0.1), `port` (the drone's camera port), `streams` ("rgb,thermal").
Run: `skywatch_sim_bridge --ros-args -r __ns:=/uav0 -p port:=14620`, or `python -m
skywatch_sim_bridge.bridge_node ...` from `ros_ws/src/skywatch_sim_bridge`.
"""

from __future__ import annotations

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from skywatch_interfaces.msg import TruthObjectArray, VehiclePose

from sim.frames_client import FrameClient, StreamFrame
from sim.frames_protocol import MODALITIES, FrameProtocolError
from skywatch_sim_bridge.messages import (
    CAMERA_NAMES,
    camera_info_of,
    image_of,
    pose_of,
    truth_of,
)

IMAGE_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE,
                       history=HistoryPolicy.KEEP_LAST)
STATE_QOS = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE,
                       history=HistoryPolicy.KEEP_LAST)
RETRY_S = 1.0
RECEIVE_TIMEOUT_S = 1.0  #: how often a waiting receive looks at whether the node should stop


class SimBridgeNode(Node):
    def __init__(self) -> None:
        super().__init__("sim_bridge")
        self.host = str(self.declare_parameter("host", "127.0.0.1").value)
        self.port = int(self.declare_parameter("port", 14620).value)
        raw = str(self.declare_parameter("streams", "rgb,thermal").value)
        self.streams = tuple(s.strip() for s in raw.split(",") if s.strip())
        bad = [s for s in self.streams if s not in MODALITIES]
        if bad or not self.streams:
            raise ValueError(f"parameter streams: {raw!r} is not a comma-separated list of "
                             f"{', '.join(MODALITIES)}")
        self.images = {m: self.create_publisher(Image, f"{CAMERA_NAMES[m]}/image_raw",
                                                IMAGE_QOS) for m in self.streams}
        self.infos = {m: self.create_publisher(CameraInfo, f"{CAMERA_NAMES[m]}/camera_info",
                                               STATE_QOS) for m in self.streams}
        self.pose = self.create_publisher(VehiclePose, "pose", STATE_QOS)
        self.truth = self.create_publisher(TruthObjectArray, "truth", STATE_QOS)
        self.last_pose_t_s: float | None = None
        self.published = 0

    def publish(self, frame: StreamFrame) -> None:
        if frame.modality not in self.images:
            return
        if frame.t_s != self.last_pose_t_s:  # both cameras of one instant share a pose
            self.pose.publish(pose_of(frame))
            self.last_pose_t_s = frame.t_s
        self.infos[frame.modality].publish(camera_info_of(frame))
        self.truth.publish(truth_of(frame))
        self.images[frame.modality].publish(image_of(frame))
        self.published += 1

    def run(self) -> None:
        """Receive and publish until shut down; reconnect whenever the stream breaks."""
        log = self.get_logger()
        while rclpy.ok(context=self.context):
            try:
                client = FrameClient.connect(self.host, self.port, self.streams,
                                             timeout_s=RETRY_S)
            except OSError as e:
                log.info(f"no simulator camera stream on {self.host}:{self.port} ({e}); "
                         "retrying", throttle_duration_sec=30.0)
                continue
            log.info(f"receiving {', '.join(self.streams)} from {self.host}:{self.port}")
            with client:
                self._pump(client)

    def _pump(self, client: FrameClient) -> None:
        log = self.get_logger()
        while rclpy.ok(context=self.context):
            try:
                frame = client.receive(timeout_s=RECEIVE_TIMEOUT_S)
            except TimeoutError:
                continue
            except FrameProtocolError as e:
                log.error(f"camera stream refused: {e}")
                raise SystemExit(2) from None
            except (OSError, ConnectionError) as e:
                log.warning(f"camera stream lost ({e}); reconnecting")
                return
            self.publish(frame)


def main(args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    try:
        node = SimBridgeNode()
    except ValueError as e:
        rclpy.logging.get_logger("sim_bridge").error(str(e))
        rclpy.try_shutdown()
        raise SystemExit(2) from None
    try:
        node.run()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()

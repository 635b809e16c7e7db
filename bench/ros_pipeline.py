"""Onboard ROS 2 figures: camera frame to `detections` through the detector node.

Starts `skywatch_detector` (thermal, the shipped detectors) in a DDS domain of its own on
loopback, publishes the simulator's own thermal frames of the example scene, by day and by night
from 60-120 m (640x512 mono16 centi-kelvin, searched by the radiometric detector with people
expected at 4.4x7 px, their size at 93 m; sensor-data QoS, shared-memory transport) and
measures:
- latency per frame at the simulator's 5 frames/s, from publish() to the DetectionArray in
  this process (transport both ways plus detection): p50, p95, max,
- throughput with frames offered at 30 frames/s: DetectionArrays per second; the node keeps
  only the newest frame, so the rest are skipped rather than queued.
Prints and saves bench/results/ros_pipeline.json (with the load average: other work on the
two cores stretches every figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# bench/perception.py is named like the package: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from perception.dataset import load_yolo_set, read_image  # noqa: E402
from perception.detection import Modality  # noqa: E402
from skywatch.eval_sim import render_lighting, scenario_document  # noqa: E402
from skywatch.onboard import child_environment, node_command, ros_environment  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "ros_pipeline.json"
DOMAIN_ID = 97
LATENCY_FRAMES = 60
THROUGHPUT_S = 10.0


def main() -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="ros-bench-"))
    os.environ.update(ros_environment(domain_id=DOMAIN_ID, log_dir=log_dir))
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image
    from skywatch_interfaces.msg import DetectionArray

    doc = scenario_document("example")
    frames = [read_image(it.image_path, Modality.THERMAL)
              for i, daytime in enumerate((True, False))
              for it in load_yolo_set(render_lighting(
                  doc, daytime, log_dir / f"frames{i}", views=LATENCY_FRAMES // 2, seed=i)).items]
    node_log = (log_dir / "detector.log").open("wb")
    detector = subprocess.Popen(node_command("skywatch_detector", namespace="/bench",
                                             params={"person_w_px": 4.4, "person_h_px": 7.0}),
                                env=child_environment(domain_id=DOMAIN_ID, log_dir=log_dir),
                                stdout=node_log, stderr=subprocess.STDOUT)
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("ros_bench", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    pub = node.create_publisher(Image, "/bench/thermal/image_raw", qos_profile_sensor_data)
    received: dict[int, float] = {}  # stamp (ns) -> arrival, monotonic
    node.create_subscription(DetectionArray, "/bench/detections", lambda m: received.setdefault(
        m.header.stamp.sec * 10**9 + m.header.stamp.nanosec, time.monotonic()), 100)

    def message(frame: np.ndarray, n: int) -> Image:
        msg = Image(height=512, width=640, encoding="mono16", is_bigendian=0, step=1280,
                    data=frame.tobytes())
        msg.header.stamp.sec, msg.header.stamp.nanosec = 1000 + n // 1000, (n % 1000) * 10**6
        return msg

    def spin_until(condition: object, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
            executor.spin_once(timeout_sec=0.002)
        return bool(condition())  # type: ignore[operator]

    try:
        if not spin_until(lambda: pub.get_subscription_count() > 0, 60):
            raise SystemExit(f"detector did not subscribe; see {log_dir}")
        n = 0
        while not received:  # warm-up: discovery done and the model loaded
            pub.publish(message(frames[0], n))
            n += 1
            spin_until(lambda: bool(received), 1.0)
        latencies_ms = []
        for frame in frames:
            n += 1
            key = (1000 + n // 1000) * 10**9 + (n % 1000) * 10**6
            sent = time.monotonic()
            pub.publish(message(frame, n))
            if spin_until(lambda key=key: key in received, 2.0):
                latencies_ms.append((received[key] - sent) * 1000)
            spin_until(lambda sent=sent: time.monotonic() - sent >= 0.2, 0.2)  # 5 frames/s
        before = len(received)
        start = time.monotonic()
        offered = 0
        while time.monotonic() - start < THROUGHPUT_S:
            n += 1
            pub.publish(message(frames[n % len(frames)], n))
            offered += 1
            spin_until(lambda due=start + offered / 30.0: time.monotonic() >= due, 1.0)
        spin_until(lambda: False, 1.0)  # the last answers
        handled_per_s = (len(received) - before) / THROUGHPUT_S
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=context)
        detector.send_signal(2)
        detector.wait(10)
        node_log.close()

    lat = np.array(latencies_ms)
    results = {
        "frame": "640x512 mono16 centi-kelvin, simulator frames of the example scene",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "latency_frames": len(frames),
        "latency_answered": int(lat.size),
        "frame_to_detections_ms_p50": round(float(np.percentile(lat, 50)), 1),
        "frame_to_detections_ms_p95": round(float(np.percentile(lat, 95)), 1),
        "frame_to_detections_ms_max": round(float(lat.max()), 1),
        "offered_frames_per_s": 30,
        "detections_arrays_per_s": round(handled_per_s, 1),
    }
    for key, value in results.items():
        print(f"{key}: {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"saved {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""What the live camera preview costs a drone's uplink, and how fresh it reaches the server.

Runs `skywatch serve` (a one-drone fleet, a vehicle account) and `skywatch_uplink` for that
drone in a DDS domain of their own, publishes the simulator's stream for one drone (640x512
mono16 thermal and 640x512 RGB, 5 frames/s each, with the detector's answer on every frame)
for `RUN_S` seconds, twice: with the preview off (`preview_period_s:=0`) and on (0.5 s). Reads
the uplink process's CPU time from /proc, and for the run with previews every preview the
server holds while it runs (polled), with capture-to-server delay. Prints and saves
bench/results/uplink_preview.json (with the load average: other work on the two cores
stretches every figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import yaml

# bench/perception.py is named like the package: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from skywatch.layout import default_vehicles, fleet_document  # noqa: E402
from skywatch.onboard import child_environment, node_command, ros_environment  # noqa: E402
from web.auth.bootstrap import open_auth, open_store  # noqa: E402
from web.auth.roles import Role  # noqa: E402
from web.settings import Settings  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "uplink_preview.json"
DOMAIN_ID = 96
RUN_S = 20.0
FRAME_PERIOD_S = 0.2
PASSWORD = "bench preview password 5521"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    fleet = data_dir / "fleet.yaml"
    fleet.write_text(yaml.safe_dump(fleet_document(default_vehicles(1, 0), 22.5, 114.0,
                                                   base_port=free_port())))
    settings = Settings(data_dir=data_dir)
    engine = open_store(settings)
    auth = open_auth(settings, engine)
    auth.create_user("bridge-uav0", PASSWORD, Role.VEHICLE, None, vehicle_id="uav0")
    auth.create_user("chief", PASSWORD, Role.ADMIN, None)
    engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(Path(sys.prefix) / "bin" / "skywatch"), "serve", "--fleet",
                               str(fleet), "--port", str(port), "--data-dir", str(data_dir)],
                              stdout=(data_dir / "server.log").open("wb"),
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError("server did not start")


def run(url: str, work: Path, preview_period_s: float) -> dict[str, float | int]:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image
    from skywatch_interfaces.msg import Detection, DetectionArray
    from skywatch_perception.images import array_to_image

    env = {**child_environment(domain_id=DOMAIN_ID, log_dir=work / "ros-log"),
           "SKYWATCH_VEHICLE_PASSWORD": PASSWORD}
    uplink = subprocess.Popen(node_command("skywatch_uplink", namespace="/uav0", params={
        "server_url": url, "username": "bridge-uav0", "preview_period_s": preview_period_s,
        "outbox_path": str(work / f"outbox-{preview_period_s}.db")}), env=env,
        stdout=(work / f"uplink-{preview_period_s}.log").open("wb"), stderr=subprocess.STDOUT)
    token = httpx.post(f"{url}/api/auth/token", timeout=30, data={
        "username": "chief", "password": PASSWORD}).json()["access_token"]
    chief = {"Authorization": f"Bearer {token}"}
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("preview_bench", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    rng = np.random.default_rng(7)
    thermal = rng.integers(29_000, 30_000, (512, 640), dtype=np.uint16)
    rgb = rng.integers(0, 255, (512, 640, 3), dtype=np.uint8)
    pubs = {"thermal": (node.create_publisher(Image, "/uav0/thermal/image_raw",
                                              qos_profile_sensor_data), thermal, "mono16"),
            "rgb": (node.create_publisher(Image, "/uav0/camera/image_raw",
                                          qos_profile_sensor_data), rgb, "rgb8")}
    answers = node.create_publisher(DetectionArray, "/uav0/detections", 100)
    try:
        def subscribed() -> bool:
            cameras = all(p.get_subscription_count() > 0 for p, _, _ in pubs.values())
            return answers.get_subscription_count() > 0 and (cameras or preview_period_s == 0)

        deadline = time.monotonic() + 60
        while not subscribed():
            if time.monotonic() > deadline:
                raise TimeoutError("the uplink did not subscribe")
            executor.spin_once(timeout_sec=0.1)
        cpu_before, started = cpu_s(uplink.pid), time.monotonic()
        frames, seen, delays_s = 0, set(), []
        next_frame = next_poll = started
        while time.monotonic() - started < RUN_S:
            now = time.monotonic()
            if now >= next_frame:
                stamp_ns = time.time_ns()
                for modality, (pub, pixels, encoding) in pubs.items():
                    image = array_to_image(pixels, encoding)
                    image.header.stamp.sec, image.header.stamp.nanosec = divmod(stamp_ns, 10**9)
                    image.header.frame_id = f"uav0/{modality}"
                    pub.publish(image)
                    answer = DetectionArray(header=image.header, image_width=640,
                                            image_height=512)
                    answer.detections.append(Detection(
                        detection_id=f"uav0-{modality}-{stamp_ns}-0", label="person",
                        modality=modality, score=0.8, x1=300.0, y1=200.0, x2=320.0, y2=240.0))
                    answers.publish(answer)
                frames += 1
                next_frame += FRAME_PERIOD_S
            if preview_period_s > 0 and now >= next_poll:
                next_poll = now + 0.1
                got = httpx.get(f"{url}/api/vehicles/uav0/camera/thermal", headers=chief)
                if got.status_code == 200 and got.json()["frame"] not in seen:
                    body = got.json()
                    seen.add(body["frame"])
                    delays_s.append((datetime.fromisoformat(body["received_at"])
                                     - datetime.fromisoformat(body["captured_at"]))
                                    .total_seconds())
            executor.spin_once(timeout_sec=0.01)
        wall_s = time.monotonic() - started
        cores = (cpu_s(uplink.pid) - cpu_before) / wall_s
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=context)
        uplink.send_signal(2)
        uplink.wait(15)
    result: dict[str, float | int] = {"preview_period_s": preview_period_s,
                                      "frames_per_camera": frames,
                                      "uplink_cores": round(cores, 3)}
    if delays_s:
        result |= {"thermal_previews_seen": len(delays_s),
                   "previews_per_s": round(len(delays_s) / wall_s, 2),
                   "capture_to_server_p50_s": round(float(np.percentile(delays_s, 50)), 3),
                   "capture_to_server_max_s": round(max(delays_s), 3)}
    return result


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="preview-bench-"))
    os.environ.update(ros_environment(domain_id=DOMAIN_ID, log_dir=work / "ros-log"))
    server, url = start_server(work / "ground")
    try:
        runs = [run(url, work, 0.0), run(url, work, 0.5)]
    finally:
        server.send_signal(2)
        server.wait(15)
    report = {"run_s": RUN_S, "cameras": "thermal 640x512 mono16 + rgb 640x512, 5 frames/s",
              "runs": runs, "extra_cores_per_drone": round(runs[1]["uplink_cores"]
                                                           - runs[0]["uplink_cores"], 3),
              "load_average_1min": round(os.getloadavg()[0], 2)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

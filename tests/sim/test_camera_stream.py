"""A running simulator with `--cameras` serves each drone's frames over TCP: pose, time, image
and truth that agree with what the drone reports over MAVLink."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from perception.geolocate import CameraPose as GeoPose
from perception.geolocate import FlatTerrain, pixel_to_ground
from perception.geolocate import Intrinsics as GeoIntrinsics
from sim.frames_client import FrameClient, StreamFrame
from sim.frames_protocol import FrameProtocolError, read_message
from tests.sim.mav_client import Client, distance_m, mavlink, offset_deg
from tests.sim_harness import REPO, SimHandle, free_base_port

pytestmark = pytest.mark.e2e

HOME_LAT_DEG, HOME_LON_DEG = 22.5431, 114.0579
RATE_HZ = 2.0
SPEEDUP = 4.0


def _camera_port(base: int, i: int) -> int:
    return base + 80 + i  # up to 40 vehicles: base+80+i


def _tcp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _world(tmp_path: Path) -> Path:
    fire_lat, fire_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 0.0, 6.0)
    person_lat, person_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 8.0, 0.0)
    far_lat, far_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 900.0, 0.0)
    doc = {"version": 1,
           "home": {"lat_deg": HOME_LAT_DEG, "lon_deg": HOME_LON_DEG, "alt_amsl_m": 10.0},
           "vehicles": [{"name": "uav0", "kind": "multirotor", "lat_deg": HOME_LAT_DEG,
                         "lon_deg": HOME_LON_DEG}],
           "objects": [
               {"kind": "fire", "lat_deg": fire_lat, "lon_deg": fire_lon, "radius_m": 3.0,
                "temp_k": 800.0},
               {"kind": "person", "lat_deg": person_lat, "lon_deg": person_lon,
                "pose": "lying"},
               {"kind": "car", "lat_deg": far_lat, "lon_deg": far_lon}]}
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@contextlib.contextmanager
def sim_with_cameras(tmp_path: Path) -> Iterator[SimHandle]:
    base = free_base_port(1)
    while not _tcp_free(_camera_port(base, 0)):
        base = free_base_port(1)
    log_path = tmp_path / "sim.log"
    cmd = [sys.executable, "-m", "sim", "--world", str(_world(tmp_path)), "--speedup",
           str(SPEEDUP), "--base-port", str(base), "--cameras", "--camera-rate-hz", str(RATE_HZ)]
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    handle = SimHandle(base_port=base, speedup=SPEEDUP, count=1, process=proc,
                       log_path=log_path)
    try:
        yield handle
    except BaseException:
        print(f"--- simulator log ---\n{handle.log()[-20000:]}")
        raise
    finally:
        handle.stop()


def _drain_positions(gcs: Client) -> float:
    """Read every waiting message; the sim time of the newest GLOBAL_POSITION_INT."""
    newest_s = 0.0
    while (msg := gcs.recv(0.02)) is not None:
        if msg.get_type() == "GLOBAL_POSITION_INT":
            newest_s = max(newest_s, msg.time_boot_ms / 1000)
    return newest_s


def _next(client: FrameClient, modality: str) -> StreamFrame:
    while (frame := client.receive()).modality != modality:
        pass
    return frame


def test_frames_carry_the_pose_mavlink_reports_and_follow_the_gimbal(tmp_path: Path) -> None:
    started_unix_s = time.time()
    with sim_with_cameras(tmp_path) as sim, Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(30.0)
        with FrameClient.connect("127.0.0.1", _camera_port(sim.base_port, 0),
                                 ("rgb", "thermal")) as cam:
            frames = [cam.receive() for _ in range(12)]
            assert {f.modality for f in frames} == {"rgb", "thermal"}
            rgb = [f for f in frames if f.modality == "rgb"]
            thermal = [f for f in frames if f.modality == "thermal"]
            assert rgb[0].image.shape == (360, 640, 3) and rgb[0].encoding == "rgb8"
            assert thermal[0].image.shape == (512, 640) and thermal[0].image.dtype == np.uint16
            # one frame per 1/5 sim second per camera (or fewer when rendering falls behind)
            steps = np.diff([f.t_s for f in thermal])
            assert np.all(steps >= 1 / RATE_HZ - 0.051)  # 0.05 s: one physics step
            assert [f.seq for f in thermal] == list(range(thermal[0].seq,
                                                          thermal[0].seq + len(thermal)))
            # UTC on the sim clock: the simulator's start plus sim time, the same for all
            epochs = [f.t_unix_s - f.t_s for f in frames]
            assert max(epochs) - min(epochs) < 1e-3
            assert started_unix_s - 1.0 < epochs[0] < started_unix_s + 15.0

            # The pose of a frame is where MAVLink says the drone is at that sim time. The
            # telemetry socket was not read meanwhile and has overflowed: empty it, then take
            # a frame captured after the newest position in it.
            newest_s = _drain_positions(gcs)
            frame = _next(cam, "thermal")
            while frame.t_s <= newest_s + 0.1:
                frame = _next(cam, "thermal")
            pos = gcs.wait("GLOBAL_POSITION_INT",
                           lambda m: abs(m.time_boot_ms / 1000 - frame.t_s) <= 0.08,
                           timeout_s=10)
            horizontal = distance_m(pos.lat / 1e7, pos.lon / 1e7, frame.pose["lat_deg"],
                                    frame.pose["lon_deg"])
            assert horizontal < 3.0
            assert abs(pos.relative_alt / 1000 - frame.pose["alt_rel_m"]) < 2.0
            assert abs(pos.alt / 1000 - frame.pose["alt_amsl_m"]) < 2.0
            assert frame.pose["alt_rel_m"] == pytest.approx(30.0, abs=1.5)
            assert frame.k[0] == pytest.approx(686.24, abs=0.01)  # 640 px over 50 degrees

            # The default gimbal looks ahead; pointing it down brings the person below into view.
            assert mavlink.MAV_RESULT_ACCEPTED == gcs.command(
                mavlink.MAV_CMD_DO_MOUNT_CONTROL, -90.0, 0.0, 0.0)
            down = _next(cam, "thermal")
            while down.pose["gimbal_pitch_deg"] > -89.0:
                down = _next(cam, "thermal")
            labels = {t["label"]: t for t in down.truth}
            assert set(labels) == {"fire", "person"}  # the car 900 m away is not in view
            fire = labels["fire"]
            x1, y1, x2, y2 = fire["box"]
            assert down.image[y1:y2, x1:x2].max() / 100.0 > 500.0
            fire_lat, fire_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 0.0, 6.0)
            assert distance_m(fire["lat_deg"], fire["lon_deg"], fire_lat, fire_lon) < 0.5
            # The frame's pose and intrinsics, as perception.geolocate reads them, put each
            # truth box's centre on the object: pose and image belong together.
            p, k = down.pose, down.k
            camera = GeoPose(**{key: p[key] for key in (
                "lat_deg", "lon_deg", "alt_amsl_m", "roll_deg", "pitch_deg", "yaw_deg",
                "gimbal_pitch_deg", "gimbal_yaw_deg")})
            intrinsics = GeoIntrinsics(fx_px=k[0], fy_px=k[4], cx_px=k[2], cy_px=k[5],
                                       width_px=down.width_px, height_px=down.height_px)
            ground = FlatTerrain(ground_amsl_m=p["alt_amsl_m"] - p["alt_rel_m"])
            for t in down.truth:
                x1, y1, x2, y2 = t["box"]
                fix = pixel_to_ground((x1 + x2) / 2, (y1 + y2) / 2, camera, intrinsics, ground)
                assert fix is not None
                assert distance_m(fix.lat_deg, fix.lon_deg, t["lat_deg"], t["lon_deg"]) < 1.0


def test_only_asked_for_streams_are_sent_and_a_bad_subscription_names_the_field(
        tmp_path: Path) -> None:
    with sim_with_cameras(tmp_path) as sim:
        port = _camera_port(sim.base_port, 0)
        with FrameClient.connect("127.0.0.1", port, ("thermal",)) as cam:
            assert {cam.receive().modality for _ in range(4)} == {"thermal"}
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b'{"streams": ["infrared"]}\n')
            header, _ = read_message(s)
            assert header["type"] == "error"
            assert "subscription.streams" in header["message"]
            assert "infrared" in header["message"]
        with FrameClient.connect("127.0.0.1", port, ("visible",)) as bad, \
                pytest.raises(FrameProtocolError, match="subscription.streams"):
            bad.receive()
        assert sim.alive()


def test_a_camera_rate_out_of_range_is_refused_naming_the_option() -> None:
    result = subprocess.run([sys.executable, "-m", "sim", "--cameras", "--camera-rate-hz", "0"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--camera-rate-hz: 0 is outside (0, 30]" in result.stderr

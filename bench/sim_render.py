"""How fast the simulator renders camera frames: 4 drones x (RGB + thermal) at 5 Hz must fit.

Renders the example scene `skywatch up` flies over (two fires with smoke, five people, a
reservoir, a road, a building) from four drones circling it at 60-120 m with their gimbals at
-90, -60, -45 and -30 degrees, RGB 640x360 and thermal 640x512, in one process on one core.
The machine is shared, so the figure that counts is frames per CPU second of this process
(`frames_per_cpu_s`); the wall-clock rate and the load average are saved beside it.
Target: 4 drones x 2 cameras x 5 Hz = 40 frames/s within the machine's cores.
Prints and saves bench/results/sim_render.json.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.camera import RGB_INTRINSICS, THERMAL_INTRINSICS, CameraPose  # noqa: E402
from sim.example_world import example_scene_document  # noqa: E402
from sim.geo import Origin  # noqa: E402
from sim.ground_map import GroundMap  # noqa: E402
from sim.render import Renderer  # noqa: E402
from sim.scene import scene_from_doc  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "sim_render.json"
HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)
DRONES = 4
RATE_HZ = 5.0
SIM_SECONDS = 12.0
TARGET_FRAMES_PER_S = DRONES * 2 * RATE_HZ
GIMBAL_PITCH_DEG = (-90.0, -60.0, -45.0, -30.0)
ALT_REL_M = (100.0, 80.0, 120.0, 60.0)
CENTRE_EN_M = (-600.0, -420.0)  #: the grass fire of the example scene


def _pose(i: int, t_s: float) -> CameraPose:
    """Drone i circles the fire, 80 m out, at 10 m/s, camera looking at the circle's centre."""
    bearing = 2 * math.pi * i / DRONES + 10.0 / 80.0 * t_s
    east = CENTRE_EN_M[0] + 80.0 * math.sin(bearing)
    north = CENTRE_EN_M[1] + 80.0 * math.cos(bearing)
    yaw = (math.degrees(bearing) + 180.0) % 360.0
    return CameraPose(east_m=east, north_m=north, alt_amsl_m=HOME.alt_amsl_m + ALT_REL_M[i],
                      yaw_deg=yaw, pitch_deg=3.0, roll_deg=2.0,
                      gimbal_pitch_deg=GIMBAL_PITCH_DEG[i])


def main() -> None:
    scene = scene_from_doc(example_scene_document(HOME.lat_deg, HOME.lon_deg), HOME)
    ground_map = GroundMap(scene)
    renderers = [(i, Renderer(scene, ground_map, k, modality, seed=i, wind_east_mps=3.0))
                 for i in range(DRONES)
                 for modality, k in (("rgb", RGB_INTRINSICS), ("thermal", THERMAL_INTRINSICS))]
    for i, r in renderers:  # warm-up: first-touch page faults, NumPy's dispatch caches
        r.render(_pose(i, 0.0), 0.0)
    per_kind: dict[str, list[float]] = {"rgb": [], "thermal": []}
    truth_objects = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    steps = int(SIM_SECONDS * RATE_HZ)
    for step in range(steps):
        t_s = step / RATE_HZ
        for i, r in renderers:
            c = time.process_time()
            frame = r.render(_pose(i, t_s), t_s)
            per_kind[r.modality].append(time.process_time() - c)
            truth_objects += len(frame.truth)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    frames = steps * len(renderers)
    fps_cpu = frames / cpu
    cores_needed = TARGET_FRAMES_PER_S / fps_cpu
    result = {
        "benchmark": "sim_render", "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "drones": DRONES, "rate_hz": RATE_HZ, "frames": frames,
        "rgb_size_px": [RGB_INTRINSICS.width_px, RGB_INTRINSICS.height_px],
        "thermal_size_px": [THERMAL_INTRINSICS.width_px, THERMAL_INTRINSICS.height_px],
        "rgb_ms_per_frame_cpu": round(1000 * sum(per_kind["rgb"]) / len(per_kind["rgb"]), 1),
        "thermal_ms_per_frame_cpu": round(
            1000 * sum(per_kind["thermal"]) / len(per_kind["thermal"]), 1),
        "frames_per_cpu_s": round(fps_cpu, 1),
        "frames_per_wall_s": round(frames / wall, 1),
        "truth_objects_per_frame": round(truth_objects / frames, 2),
        "target_frames_per_s": TARGET_FRAMES_PER_S,
        "cores_needed_for_target": round(cores_needed, 2),
        "meets_target": cores_needed <= (os.cpu_count() or 1),
    }
    print(f"{frames} frames: RGB {result['rgb_ms_per_frame_cpu']} ms, thermal "
          f"{result['thermal_ms_per_frame_cpu']} ms of CPU each = {fps_cpu:.1f} frames per "
          f"CPU second ({frames / wall:.1f} per wall second, load average "
          f"{result['load_average_1min']} on {os.cpu_count()} cpus)")
    verdict = "fits" if result["meets_target"] else "does NOT fit"
    print(f"{DRONES} drones x 2 cameras x {RATE_HZ:g} Hz = {TARGET_FRAMES_PER_S:g} frames/s needs "
          f"{cores_needed:.2f} cores: {verdict} on this machine")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()

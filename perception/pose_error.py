"""The pose a real drone believes it had: the simulator's exact pose plus navigation error.

The simulator records where the camera exactly was; a drone knows it only as well as its GNSS,
barometer, IMU and gimbal encoders tell it, and stamps the frame a little before or after the
pose it pairs it with. Geolocating from the exact pose scores the image chain alone (people
0.2 m median); an operator sees that plus the navigation error, so `skywatch eval --sim`
geolocates from a pose disturbed by `PoseErrorModel` (rendering and detection keep the exact
one). One error is drawn per frame, shared by every detection in it, as they share the
navigation solution of that instant.

The typical model's one-sigma defaults, for a consumer or prosumer multirotor without RTK:
- GNSS horizontal 1.0 m per axis (north, east): 1.2 m CEP, 1.4 m RMS. Single-frequency
  GPS+Galileo+GLONASS receivers of the u-blox M8/M9 class specify 1.5-2.5 m CEP open-sky; DJI
  lists +-1.5 m horizontal hover accuracy on GNSS alone for the Matrice 300.
- Altitude 0.5 m: height above the take-off point from the barometer fused with GNSS over one
  flight (DJI: +-0.5 m vertical on GNSS). Terrain-model error is not in it: the simulator's
  ground is flat and known, a real DEM adds its own.
- Pointing 0.5 degree per axis (roll, pitch, heading), attitude and gimbal together: the
  stabilised gimbal holds the camera against its estimate of the horizon, which a MEMS EKF
  knows to 0.1-0.3 degree; the gimbal's encoders, control error and mount alignment add
  0.1-0.3 degree. The tilt goes into the pose's `horizon_roll_deg` and `horizon_pitch_deg`
  (`perception.geolocate`), the airframe's own roll and pitch being taken out by the gimbal.
  Heading is the weakest axis: 0.5 degree holds with GNSS-aided heading in steady flight;
  a magnetometer-only heading near steel or power lines is 1-3 degrees off.
- Frame-to-pose time offset 50 ms, for a camera not triggered by the autopilot (USB/Ethernet
  frames timestamped on arrival), times `speed_mps` along the heading: 0.25 m on a 5 m/s leg.
  A stabilised gimbal keeps the view's angles still over such an offset, so only position moves.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace

import numpy as np
import pymap3d

from perception.geolocate import CameraPose


@dataclass(frozen=True, kw_only=True, slots=True)
class PoseErrorModel:
    """One-sigma navigation errors, drawn per frame, reproducibly from `seed` and the frame."""

    horizontal_sigma_m: float = 1.0  #: GNSS, each of north and east
    alt_sigma_m: float = 0.5  #: barometric/relative altitude
    tilt_sigma_deg: float = 0.5  #: roll and pitch each, of the gimbal's horizon
    heading_sigma_deg: float = 0.5  #: yaw, attitude and gimbal together
    sync_sigma_s: float = 0.05  #: frame-to-pose time offset
    speed_mps: float = 5.0  #: ground speed the time offset turns into an along-track error
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("horizontal_sigma_m", "alt_sigma_m", "tilt_sigma_deg",
                     "heading_sigma_deg", "sync_sigma_s", "speed_mps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"pose error {name}: expected a finite number >= 0, "
                                 f"got {value!r}")

    def believed_pose(self, pose: CameraPose, frame_key: str) -> CameraPose:
        """`pose` as the drone would have reported it for the frame named `frame_key`.

        The draw depends on the seed, the key and the exact pose only, so a frame gets the
        same error whether it is scored alone or within a larger set."""
        tag = zlib.crc32(f"{frame_key}|{pose!r}".encode())
        rng = np.random.default_rng([self.seed, tag])
        north_m, east_m = rng.normal(0.0, self.horizontal_sigma_m, 2)
        along_m = rng.normal(0.0, self.sync_sigma_s) * self.speed_mps
        yaw_rad = math.radians(pose.yaw_deg)
        north_m += along_m * math.cos(yaw_rad)
        east_m += along_m * math.sin(yaw_rad)
        lat, lon, _ = pymap3d.ned2geodetic(float(north_m), float(east_m), 0.0, pose.lat_deg,
                                           pose.lon_deg, pose.alt_amsl_m)
        d_roll, d_pitch = rng.normal(0.0, self.tilt_sigma_deg, 2)
        return replace(pose, lat_deg=float(lat), lon_deg=float(lon),
                       alt_amsl_m=pose.alt_amsl_m + float(rng.normal(0.0, self.alt_sigma_m)),
                       horizon_roll_deg=pose.horizon_roll_deg + float(d_roll),
                       horizon_pitch_deg=pose.horizon_pitch_deg + float(d_pitch),
                       yaw_deg=pose.yaw_deg + float(rng.normal(0.0, self.heading_sigma_deg)))


#: `skywatch eval --sim --pose-error` choices: `none` geolocates from the exact pose.
POSE_ERROR_CHOICES = ("none", "typical")


def pose_error_model(name: str, seed: int) -> PoseErrorModel | None:
    """The model `--pose-error NAME` names; None for `none` (the exact pose)."""
    if name == "none":
        return None
    if name == "typical":
        return PoseErrorModel(seed=seed)
    raise ValueError(f"--pose-error: {name!r} is not one of {', '.join(POSE_ERROR_CHOICES)}")

"""How big a person looks on this frame, from where the camera is: the ground sample distance.

A detector tuned for 12x19-pixel people misses the 4x7-pixel people of a wide thermal lens at
100 m, so the detector node asks for the size the geometry predicts. Sizes are bucketed in 5 %
steps (the learned detector's answers change over 10 %), so a drone holding its height reuses
one detector instead of building one per frame.
"""

from __future__ import annotations

import math

from perception.thermal import PERSON_SIZE_M, person_size_px

#: Below this height above home the range guess is meaningless (on the ground, taking off).
MIN_ALT_REL_M = 2.0
#: Ratio between neighbouring size buckets.
BUCKET_RATIO = 1.05
#: Beyond ~75 degrees off nadir the centre's range no longer says much about the frame.
MIN_COS_TILT = 0.25


def centre_range_m(alt_rel_m: float, gimbal_pitch_deg: float) -> float | None:
    """Slant range to the ground at the image centre over flat ground (pitch -90: nadir)."""
    if not math.isfinite(alt_rel_m) or alt_rel_m < MIN_ALT_REL_M:
        return None
    tilt = math.radians(90.0 + gimbal_pitch_deg)
    return alt_rel_m / max(math.cos(tilt), MIN_COS_TILT)


def size_bucket(focal_px: float, range_m: float) -> int:
    """Which size bucket a person at `range_m` falls in (larger index: larger on the frame)."""
    _, h_px = person_size_px(focal_px, range_m)
    return round(math.log(h_px) / math.log(BUCKET_RATIO))


def bucket_person_px(bucket: int) -> tuple[float, float]:
    """The (width, height) in pixels a bucket stands for."""
    h_px = BUCKET_RATIO**bucket
    return (h_px * PERSON_SIZE_M[0] / PERSON_SIZE_M[1], h_px)

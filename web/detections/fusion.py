"""One object on the map for one real thing that several drones track.

Each vehicle's tracker names its objects `<vehicle>/<track>`; two drones that both see a fire
report two tracks of it. The ground gives each track an object id: the id of an object another
vehicle already reports of the same label where this track is (its one-sigma circles agreeing
at the 99 % chi-square level, both better than `MERGE_MAX_SIGMA_M`), else the track's own
name. A vehicle's own tracks are never merged with each other: its tracker already decided
they are two things. Pure: plain values in, ids out; the store seeds it after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from mission.geodesy import distance_m

GATE_CHI2_2DOF = 9.21  #: 99 % of two fixes of one thing agree within this squared distance
MERGE_MAX_SIGMA_M = 10.0  #: a vaguer track could be anything nearby: it is not merged
MIN_SIGMA_M = 0.5  #: no track is surer than this, whatever it says


@dataclass(frozen=True, kw_only=True, slots=True)
class TrackFix:
    """A track's latest reported state."""

    vehicle_id: str
    track_id: int
    label: str
    lat_deg: float
    lon_deg: float
    sigma_m: float


class ObjectFusion:
    def __init__(self) -> None:
        self._object_of: dict[tuple[str, int], str] = {}
        self._fixes: dict[str, dict[tuple[str, int], TrackFix]] = {}  #: object -> its tracks

    def object_id(self, fix: TrackFix) -> str:
        """The ground object `fix`'s track belongs to (decided at its first report)."""
        key = (fix.vehicle_id, fix.track_id)
        found = self._object_of.get(key) or self._agreeing(fix) \
            or f"{fix.vehicle_id}/{fix.track_id}"
        self._object_of[key] = found
        self._fixes.setdefault(found, {})[key] = fix
        return found

    def seed(self, object_id: str, fix: TrackFix) -> None:
        """A track already stored under `object_id` (on start-up, from the store)."""
        self._object_of[(fix.vehicle_id, fix.track_id)] = object_id
        self._fixes.setdefault(object_id, {})[(fix.vehicle_id, fix.track_id)] = fix

    def _agreeing(self, fix: TrackFix) -> str | None:
        if fix.sigma_m > MERGE_MAX_SIGMA_M:
            return None
        best: tuple[float, str] | None = None
        for object_id, tracks in self._fixes.items():
            if any(v == fix.vehicle_id for v, _ in tracks):
                continue
            for other in tracks.values():
                if other.label != fix.label or other.sigma_m > MERGE_MAX_SIGMA_M:
                    continue
                d2 = distance_m(fix.lat_deg, fix.lon_deg, other.lat_deg, other.lon_deg) ** 2 \
                    / (max(fix.sigma_m, MIN_SIGMA_M) ** 2 + max(other.sigma_m, MIN_SIGMA_M) ** 2)
                if d2 <= GATE_CHI2_2DOF and (best is None or d2 < best[0]):
                    best = (d2, object_id)
        return best[1] if best else None


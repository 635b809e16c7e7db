"""Tracking geolocated detections: one fire or one person is one object with a stable id.

Each track is a constant-velocity Kalman filter in a local east/north frame (metres). At every
update, observations of a label are assigned to that label's tracks by the Hungarian method on
the Mahalanobis distance, gated at the 99 % chi-square level, so a detection only joins a track
its uncertainty allows. Confidence is the chance that at least one of the hits was right,
1 - prod(1 - score): it grows with every hit and never needs a tuning table. Tracks of the same
label from different sources whose positions agree within their combined uncertainty are one
object seen by two drones, and are merged, keeping the older id.

A track unseen for longer than `coast_s` is no longer predicted forward but sought where it
was last seen: its constant-velocity prediction would soon cover hundreds of metres and let it
hop from one false detection to the next. A confirmed track not seen for `max_age_s` is
dropped from the live tracks but remembered for `retired_memory_s`: when the same label is
seen again where it was (a search drone back on its next lane, a minute later), the old track
takes the sighting up again, with its id, hits and confidence, instead of a second object
appearing on the map for the same fire.

A track is an object to show (`confirmed`) only once it has `min_hits` hits whose mean score is
at least `min_mean_score`: the confidence above reaches 0.5 after two hits of 0.3, which is
what a sun-warmed tuft of grass scores in two frames in a row; a person scores higher.

Only a track placed within `MERGE_MAX_SIGMA_M` is taken up again once retired: one placed
within tens of metres (seen from the climb with the camera still at the horizon, a person a few
hundred metres off is placed within 30-130 m) took in a grass patch scoring 0.26 a minute later,
140 m from it, and showed it on the map with the far sightings' scores of 1.0. Far sightings
still feed live tracks: a fire flown towards is placed by many of them before any is precise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

#: chi-square, 2 degrees of freedom: 99 % of true matches fall inside this squared distance.
GATE_CHI2_2DOF = 9.21
#: Tracks less certain than this are not merged with others (they may be anything nearby).
MERGE_MAX_SIGMA_M = 10.0
#: Added to a retired track's uncertainty when it is sought again: a fire's hot centre shifts
#: by a few metres between views, a person may have stepped aside.
REACQUIRE_SLACK_M = 2.0
MAX_RETIRED = 1000
#: Hits a track needs before it is shown: one frame's blob is not yet an object.
MIN_HITS = 2
#: Mean detector score a track needs before it is shown. On the full path's example scene
#: (tests/ros/test_full_path.py) every real person's and fire's track averages above 0.6,
#: while grass and shore blobs that two frames in a row scored 0.25-0.35 average below 0.4.
MIN_MEAN_SCORE = 0.4


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """One geolocated detection in the tracker's east/north frame."""

    t_s: float
    label: str
    east_m: float
    north_m: float
    sigma_m: float  #: one-sigma horizontal position error (e.g. the ellipse's major axis)
    score: float
    source: str = ""  #: which vehicle/camera saw it


@dataclass(frozen=True, kw_only=True, slots=True)
class Track:
    track_id: int
    label: str
    east_m: float
    north_m: float
    east_mps: float
    north_mps: float
    sigma_m: float  #: one-sigma position uncertainty (largest axis)
    confidence: float
    hits: int
    mean_score: float  #: mean detector score of the hits
    first_t_s: float
    last_t_s: float
    sources: frozenset[str]


def _sigma_m(p: np.ndarray) -> float:
    """One-sigma position uncertainty (largest axis) of a filter's covariance."""
    return float(math.sqrt(max(np.linalg.eigvalsh(p[:2, :2]))))


@dataclass(kw_only=True, eq=False)
class _Filter:
    track_id: int
    label: str
    x: np.ndarray  # east, north, v_east, v_north
    p: np.ndarray
    t_s: float
    first_t_s: float
    last_hit_t_s: float
    hits: int = 1
    miss_prob: float = 1.0  # prod(1 - score)
    score_sum: float = 0.0
    sources: set[str] = field(default_factory=set)

    def predicted(self, t_s: float, accel_sigma_mps2: float) -> tuple[np.ndarray, np.ndarray]:
        dt = max(0.0, t_s - self.t_s)
        f = np.eye(4)
        f[0, 2] = f[1, 3] = dt
        g = np.array([[dt * dt / 2, 0], [0, dt * dt / 2], [dt, 0], [0, dt]])
        q = g @ g.T * accel_sigma_mps2**2
        return f @ self.x, f @ self.p @ f.T + q

    def snapshot(self) -> Track:
        return Track(
            track_id=self.track_id, label=self.label,
            east_m=float(self.x[0]), north_m=float(self.x[1]),
            east_mps=float(self.x[2]), north_mps=float(self.x[3]),
            sigma_m=_sigma_m(self.p),
            confidence=1.0 - self.miss_prob, hits=self.hits,
            mean_score=self.score_sum / max(self.hits, 1), first_t_s=self.first_t_s,
            last_t_s=self.last_hit_t_s, sources=frozenset(self.sources),
        )


class Tracker:
    """Multi-object tracker over geolocated detections, all labels, all sources."""

    def __init__(self, *, accel_sigma_mps2: float = 0.5, initial_speed_sigma_mps: float = 2.0,
                 max_age_s: float = 30.0, tentative_max_age_s: float = 3.0,
                 retired_memory_s: float = 900.0, coast_s: float = 3.0) -> None:
        self.accel_sigma_mps2 = accel_sigma_mps2
        self.initial_speed_sigma_mps = initial_speed_sigma_mps
        self.max_age_s = max_age_s
        self.tentative_max_age_s = tentative_max_age_s
        self.retired_memory_s = retired_memory_s
        self.coast_s = coast_s
        self._filters: list[_Filter] = []
        self._retired: list[_Filter] = []  #: confirmed tracks past max_age_s, last hit first
        self._ids = itertools.count(1)

    @property
    def tracks(self) -> list[Track]:
        return [f.snapshot() for f in self._filters]

    def update(self, t_s: float, observations: Iterable[Observation]) -> list[Track]:
        """Fold in everything seen at `t_s`; returns the live tracks."""
        obs = list(observations)
        # One assignment per label and source: one camera frame shows an object at most once,
        # but two drones' frames may both show it.
        for label, source in sorted({(o.label, o.source) for o in obs}):
            self._update_label(t_s, [o for o in obs if (o.label, o.source) == (label, source)])
        live = [f for f in self._filters
                if t_s - f.last_hit_t_s <= (self.max_age_s if f.hits > 1
                                            else self.tentative_max_age_s)]
        retiring = [f for f in self._filters if f.hits > 1 and f not in live
                    and _sigma_m(f.p) <= MERGE_MAX_SIGMA_M]  # a vague one is no place
        self._filters = live
        self._retired = [f for f in retiring + self._retired
                         if t_s - f.last_hit_t_s <= self.retired_memory_s][:MAX_RETIRED]
        _merge_agreeing(self._filters, t_s, self.accel_sigma_mps2)
        return self.tracks

    def _update_label(self, t_s: float, obs: Sequence[Observation]) -> None:
        filters = [f for f in self._filters if f.label == obs[0].label]
        cost = np.full((len(filters), len(obs)), np.inf)
        predictions = [self._prediction(f, t_s) for f in filters]
        for i, (x, p) in enumerate(predictions):
            for j, o in enumerate(obs):
                d = np.array([o.east_m, o.north_m]) - x[:2]
                s = p[:2, :2] + np.eye(2) * o.sigma_m**2
                m2 = float(d @ np.linalg.solve(s, d))
                if m2 <= GATE_CHI2_2DOF:
                    cost[i, j] = m2
        matched: set[int] = set()
        if filters and obs:
            big = 1e9
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
            for i, j in zip(rows, cols, strict=True):
                if np.isfinite(cost[i, j]):
                    self._correct(filters[i], predictions[i], obs[j], t_s)
                    matched.add(j)
        for j, o in enumerate(obs):
            if j not in matched:
                self._filters.append(self._reacquired(o, t_s) or self._new(o))

    def _prediction(self, f: _Filter, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Where to look for `f` at `t_s`: its constant-velocity prediction while it coasts,
        then (unseen for longer than `coast_s`) where it was last seen, held still. A CV
        prediction spreads over hundreds of metres in half a minute and would take in any
        blob of the label: a track hopping from false detection to false detection."""
        if t_s - f.last_hit_t_s > self.coast_s:
            return self._held(f)
        return f.predicted(t_s, self.accel_sigma_mps2)

    def _held(self, f: _Filter) -> tuple[np.ndarray, np.ndarray]:
        """`f`'s estimate at its last hit, still, with `REACQUIRE_SLACK_M` more uncertainty."""
        v = self.initial_speed_sigma_mps**2
        return (np.array([f.x[0], f.x[1], 0.0, 0.0]),
                np.diag([*np.diag(f.p)[:2] + REACQUIRE_SLACK_M**2, v, v]))

    def _reacquired(self, o: Observation, t_s: float) -> _Filter | None:
        """The nearest retired track of `o`'s label whose held estimate (`_held`) gates `o`,
        corrected by it; None if none does."""
        best: tuple[float, _Filter, tuple[np.ndarray, np.ndarray]] | None = None
        for f in self._retired:
            if f.label != o.label:
                continue
            x, p = self._held(f)
            d = np.array([o.east_m, o.north_m]) - x[:2]
            m2 = float(d @ np.linalg.solve(p[:2, :2] + np.eye(2) * o.sigma_m**2, d))
            if m2 <= GATE_CHI2_2DOF and (best is None or m2 < best[0]):
                best = (m2, f, (x, p))
        if best is None:
            return None
        _, f, held = best
        self._retired.remove(f)
        self._correct(f, held, o, t_s)
        return f

    def _correct(self, f: _Filter, prediction: tuple[np.ndarray, np.ndarray], o: Observation,
                 t_s: float) -> None:
        x, p = prediction
        h = np.zeros((2, 4))
        h[0, 0] = h[1, 1] = 1.0
        s = h @ p @ h.T + np.eye(2) * o.sigma_m**2
        k = p @ h.T @ np.linalg.inv(s)
        f.x = x + k @ (np.array([o.east_m, o.north_m]) - h @ x)
        f.p = (np.eye(4) - k @ h) @ p
        f.t_s = f.last_hit_t_s = t_s
        f.hits += 1
        f.miss_prob *= 1.0 - min(max(o.score, 0.0), 0.999)
        f.score_sum += o.score
        if o.source:
            f.sources.add(o.source)

    def _new(self, o: Observation) -> _Filter:
        v = self.initial_speed_sigma_mps**2
        return _Filter(
            track_id=next(self._ids), label=o.label,
            x=np.array([o.east_m, o.north_m, 0.0, 0.0]),
            p=np.diag([o.sigma_m**2, o.sigma_m**2, v, v]),
            t_s=o.t_s, first_t_s=o.t_s, last_hit_t_s=o.t_s,
            miss_prob=1.0 - min(max(o.score, 0.0), 0.999), score_sum=o.score,
            sources={o.source} if o.source else set(),
        )


def _merge_agreeing(filters: list[_Filter], t_s: float, accel_sigma_mps2: float) -> None:
    """Same label, other sources, positions within the combined uncertainty: one object."""
    merged = True
    while merged:
        merged = False
        for a, b in itertools.combinations(sorted(filters, key=lambda f: f.first_t_s), 2):
            if a.label != b.label or not a.sources or not b.sources or (a.sources & b.sources):
                continue  # one source never sees one object twice: neighbours stay apart
            xa, pa = a.predicted(t_s, accel_sigma_mps2)
            xb, pb = b.predicted(t_s, accel_sigma_mps2)
            if max(np.trace(pa[:2, :2]), np.trace(pb[:2, :2])) > 2 * MERGE_MAX_SIGMA_M**2:
                continue  # a stale track's spread would swallow anything near it
            d = xa[:2] - xb[:2]
            if float(d @ np.linalg.solve(pa[:2, :2] + pb[:2, :2], d)) > GATE_CHI2_2DOF:
                continue
            ia, ib = np.linalg.inv(pa), np.linalg.inv(pb)  # information-weighted fusion
            a.p = np.linalg.inv(ia + ib)
            a.x = a.p @ (ia @ xa + ib @ xb)
            a.t_s = t_s
            a.hits += b.hits
            a.miss_prob *= b.miss_prob
            a.score_sum += b.score_sum
            a.last_hit_t_s = max(a.last_hit_t_s, b.last_hit_t_s)
            a.sources |= b.sources
            filters[:] = [f for f in filters if f is not b]
            merged = True
            break


def merge_tracks(tracks: Sequence[Track], t_s: float,
                 accel_sigma_mps2: float = 0.5) -> list[Track]:
    """Ground-side fusion of tracks reported by several drones' trackers.

    Tracks are predicted to `t_s`; those that agree within their combined uncertainty come out
    as one, with the id of the one first seen and the union of sources.
    """
    filters = [
        _Filter(
            track_id=tr.track_id, label=tr.label,
            x=np.array([tr.east_m, tr.north_m, tr.east_mps, tr.north_mps]),
            p=np.diag([tr.sigma_m**2, tr.sigma_m**2, 1.0, 1.0]),
            t_s=tr.last_t_s, first_t_s=tr.first_t_s, last_hit_t_s=tr.last_t_s, hits=tr.hits,
            miss_prob=1.0 - tr.confidence, score_sum=tr.mean_score * tr.hits,
            sources=set(tr.sources),
        )
        for tr in tracks
    ]
    _merge_agreeing(filters, t_s, accel_sigma_mps2)
    return [f.snapshot() for f in filters]


def confirmed(track: Track, *, min_hits: int = MIN_HITS,
              min_mean_score: float = MIN_MEAN_SCORE) -> bool:
    """Whether `track` has the evidence to be shown as an object (see the module docstring)."""
    return track.hits >= min_hits and track.mean_score >= min_mean_score

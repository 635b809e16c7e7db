"""Tracking on synthetic sequences: stable ids, growing confidence, two drones merged."""

import numpy as np
import pytest

from perception.tracking import Observation, Tracker, confirmed, merge_tracks


def test_a_walking_person_is_one_track_despite_noise_misses_and_clutter() -> None:
    rng = np.random.default_rng(3)
    tracker = Tracker()
    ids, confidences = set(), []
    for k in range(40):  # 20 s at 2 Hz, walking east at 1.0 m/s
        t = k * 0.5
        obs = [Observation(t_s=t, label="person", east_m=rng.uniform(-200, 200),
                           north_m=rng.uniform(100, 300), sigma_m=1.0, score=0.3)]  # clutter
        if rng.random() > 0.15:  # 15 % of frames miss the person
            obs.append(Observation(t_s=t, label="person", east_m=t * 1.0 + rng.normal(0, 1.0),
                                   north_m=rng.normal(0, 1.0), sigma_m=1.0, score=0.6,
                                   source="uav1"))
        tracks = tracker.update(t, obs)
        near = [tr for tr in tracks if abs(tr.north_m) < 10 and abs(tr.east_m - t) < 10]
        assert len(near) == 1
        ids.add(near[0].track_id)
        confidences.append(near[0].confidence)
    (person,) = near
    assert len(ids) == 1  # one id from first sight to last
    assert person.hits >= 30
    assert abs(person.east_m - 19.5) < 1.0 and abs(person.north_m) < 1.0
    assert person.east_mps == pytest.approx(1.0, abs=0.3)
    assert confidences[0] == pytest.approx(0.6) and confidences[-1] > 0.999
    assert all(b >= a for a, b in zip(confidences, confidences[1:], strict=False))


def test_two_people_six_metres_apart_stay_two_tracks() -> None:
    rng = np.random.default_rng(4)
    tracker = Tracker()
    for k in range(20):
        tracker.update(k * 0.5, [
            Observation(t_s=k * 0.5, label="person", east_m=rng.normal(0, 0.7),
                        north_m=rng.normal(0, 0.7), sigma_m=1.0, score=0.5, source="uav1"),
            Observation(t_s=k * 0.5, label="person", east_m=6 + rng.normal(0, 0.7),
                        north_m=rng.normal(0, 0.7), sigma_m=1.0, score=0.5, source="uav1"),
        ])
    tracks = tracker.tracks
    east = sorted(tr.east_m for tr in tracks)
    assert len(east) == 2 and abs(east[0]) < 1.0 and abs(east[1] - 6) < 1.0
    assert {tr.track_id for tr in tracks} == {1, 2}


def test_the_same_fire_seen_by_two_drones_is_merged_and_a_second_fire_is_not() -> None:
    rng = np.random.default_rng(5)
    per_drone = {}
    for drone, bias in (("uav1", (1.2, -0.8)), ("uav2", (-1.0, 0.9))):  # each drone's own bias
        tracker = Tracker()
        for k in range(10):
            t = k * 1.0
            obs = [Observation(t_s=t, label="fire", east_m=50 + bias[0] + rng.normal(0, 1.5),
                               north_m=80 + bias[1] + rng.normal(0, 1.5), sigma_m=2.0,
                               score=0.7, source=drone)]
            if drone == "uav2":
                obs.append(Observation(t_s=t, label="fire", east_m=90 + rng.normal(0, 1.5),
                                       north_m=80 + rng.normal(0, 1.5), sigma_m=2.0, score=0.7,
                                       source=drone))
            tracker.update(t, obs)
        per_drone[drone] = tracker.tracks
    fused = merge_tracks(per_drone["uav1"] + per_drone["uav2"], t_s=9.0)
    assert len(fused) == 2
    shared = next(tr for tr in fused if tr.east_m < 70)
    assert shared.sources == {"uav1", "uav2"}
    assert abs(shared.east_m - 50) < 1.5 and abs(shared.north_m - 80) < 1.5
    assert shared.hits == 20


def test_one_tracker_fed_by_two_drones_makes_one_track_of_a_person_both_see() -> None:
    tracker = Tracker()
    for k in range(6):
        t = float(k)
        tracker.update(t, [
            Observation(t_s=t, label="person", east_m=10.5, north_m=5.0, sigma_m=1.5,
                        score=0.5, source="uav1"),
            Observation(t_s=t, label="person", east_m=9.0, north_m=6.0, sigma_m=1.5,
                        score=0.5, source="uav2"),
        ])
    (track,) = tracker.tracks
    assert track.sources == {"uav1", "uav2"}
    assert abs(track.east_m - 9.75) < 0.6 and abs(track.north_m - 5.5) < 0.6


def test_tracks_not_seen_for_longer_than_their_max_age_are_dropped() -> None:
    tracker = Tracker(max_age_s=5.0, tentative_max_age_s=1.0)
    fire = Observation(t_s=0.0, label="fire", east_m=0, north_m=0, sigma_m=2, score=0.8)
    tracker.update(0.0, [fire])
    tracker.update(0.5, [fire])  # confirmed: two hits
    tracker.update(0.5, [Observation(t_s=0.5, label="person", east_m=50, north_m=0, sigma_m=2,
                                     score=0.4)])  # tentative: one hit
    assert {tr.label for tr in tracker.update(2.0, [])} == {"fire"}  # the one-off is gone
    assert len(tracker.update(5.4, [])) == 1
    assert tracker.update(5.6, []) == []


def test_a_fire_seen_again_a_lane_later_keeps_its_id_and_another_does_not() -> None:
    """A search drone sees a fire, turns away for a minute (the track leaves the live list)
    and sees it again on its next lane: one object, its evidence adding up."""
    tracker = Tracker(max_age_s=30.0, retired_memory_s=300.0)

    def fire(t: float, east_m: float, north_m: float = 0.0) -> Observation:
        return Observation(t_s=t, label="fire", east_m=east_m, north_m=north_m, sigma_m=1.5,
                           score=0.8, source="uav0")

    for t in (0.0, 1.0, 2.0):
        tracker.update(t, [fire(t, 0.4 * t)])
    (first,) = tracker.tracks
    tracker.update(3.0, [Observation(t_s=3.0, label="person", east_m=300, north_m=0,
                                     sigma_m=1.5, score=0.6)])  # one frame: never confirmed
    assert [tr.label for tr in tracker.update(40.0, [])] == []  # both out of the live list
    again = tracker.update(70.0, [fire(70.0, 3.0, -2.0)])  # 3.6 m from the last estimate
    assert [(tr.track_id, tr.hits) for tr in again] == [(first.track_id, 4)]
    assert again[0].first_t_s == 0.0 and again[0].confidence > first.confidence
    assert 0.4 < again[0].east_m < 3.0  # the old evidence and the new, fused

    tracker.update(71.0, [Observation(t_s=71.0, label="person", east_m=300, north_m=0,
                                      sigma_m=1.5, score=0.6)])
    assert {tr.label: tr.track_id for tr in tracker.tracks}["person"] not in (
        first.track_id, 2)  # the one-frame person was not remembered
    elsewhere = tracker.update(72.0, [fire(72.0, 30.0)])  # another fire, 30 m on
    assert len({tr.track_id for tr in elsewhere if tr.label == "fire"}) == 2


def test_a_retired_track_is_forgotten_after_the_memory_span() -> None:
    tracker = Tracker(max_age_s=5.0, retired_memory_s=60.0)
    seen = [tracker.update(t, [Observation(t_s=t, label="person", east_m=0, north_m=0,
                                           sigma_m=1.0, score=0.5)]) for t in (0.0, 1.0)]
    tracker.update(10.0, [])
    tracker.update(100.0, [])  # 99 s since the last hit: beyond the memory
    (later,) = tracker.update(101.0, [Observation(t_s=101.0, label="person", east_m=0,
                                                  north_m=0, sigma_m=1.0, score=0.5)])
    assert later.track_id != seen[-1][0].track_id and later.hits == 1


def test_a_track_unseen_for_a_while_is_sought_where_it_was_not_anywhere() -> None:
    """20 s after its last hit a constant-velocity prediction spreads over ~100 m; the track
    waits where it was instead, so a blob 30 m off is something else and one 3 m off is it."""
    tracker = Tracker()
    for t in (0.0, 1.0, 2.0):
        tracker.update(t, [Observation(t_s=t, label="person", east_m=0.0, north_m=0.0,
                                       sigma_m=1.5, score=0.6)])
    (person,) = tracker.tracks
    away = tracker.update(22.0, [Observation(t_s=22.0, label="person", east_m=30.0,
                                             north_m=0.0, sigma_m=1.5, score=0.6)])
    assert sorted((tr.track_id, tr.hits) for tr in away) == [(person.track_id, 3), (2, 1)]
    near = tracker.update(23.0, [Observation(t_s=23.0, label="person", east_m=3.0,
                                             north_m=0.0, sigma_m=1.5, score=0.6)])
    assert {tr.track_id: tr.hits for tr in near}[person.track_id] == 4


def test_a_track_is_confirmed_by_several_hits_whose_mean_score_is_high_enough() -> None:
    """Two faint blobs in a row (grass, a shore) make a track of confidence 0.5 but no object;
    a person seen twice at 0.6-0.9 is one, and so is one whose first hit was faint."""
    tracker = Tracker()

    def seen(east_m: float, scores: list[float]) -> list[bool]:
        out = []
        for k, score in enumerate(scores):
            (track,) = [tr for tr in tracker.update(k * 0.5, [Observation(
                t_s=k * 0.5, label="person", east_m=east_m, north_m=0.0, sigma_m=1.0,
                score=score)]) if abs(tr.east_m - east_m) < 5]
            out.append(confirmed(track))
        return out

    assert seen(0.0, [0.28, 0.28, 0.30, 0.27]) == [False] * 4  # mean 0.28: never shown
    assert seen(100.0, [0.6, 0.9]) == [False, True]  # one hit is not enough, two are
    assert seen(200.0, [0.3, 0.45, 0.8]) == [False, False, True]  # mean 0.375, then 0.52
    (faint,) = [tr for tr in tracker.tracks if tr.east_m < 5]
    assert faint.hits == 4 and faint.mean_score == pytest.approx(0.2825)
    assert confirmed(faint, min_mean_score=0.25)  # the threshold is a parameter


def test_a_track_placed_within_tens_of_metres_is_not_taken_up_again_to_lend_its_scores() -> None:
    """Seen from the climb, a person far off scores 1.0 three times but is placed within 30 m;
    a minute later a grass patch 40 m from there scores 0.26 in three nadir frames. Taken up
    again, the far track would show the patch with the far sightings' scores."""
    tracker = Tracker()
    for k in range(3):
        t = k * 0.5
        tracker.update(t, [Observation(t_s=t, label="person", east_m=0.0, north_m=0.0,
                                       sigma_m=30.0, score=1.0, source="uav0")])
    assert tracker.update(40.0, []) == []  # frames without it: out of the live list
    for k in range(3):
        t = 60.0 + k * 0.5
        tracks = tracker.update(t, [Observation(t_s=t, label="person", east_m=40.0,
                                                north_m=0.0, sigma_m=2.0, score=0.26,
                                                source="uav0")])
    (patch,) = tracks
    assert patch.hits == 3 and patch.mean_score == pytest.approx(0.26)
    assert not confirmed(patch)

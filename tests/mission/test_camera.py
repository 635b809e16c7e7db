"""Camera maths on the makers' published figures."""

import pytest

from mission.camera import (
    CAMERAS,
    CameraError,
    alt_for_gsd_m,
    camera_by_name,
    footprint,
    gsd_cm,
    line_spacing_m,
    trigger_distance_m,
)


def test_phantom4_pro_gsd_matches_dji_figure() -> None:
    # DJI quotes 2.74 cm/px at 100 m for the Phantom 4 Pro.
    assert gsd_cm(camera_by_name("dji-phantom4-pro"), 100) == pytest.approx(2.74, abs=0.01)


def test_altitude_from_gsd_inverts_gsd_for_every_camera() -> None:
    for cam in CAMERAS.values():
        assert gsd_cm(cam, alt_for_gsd_m(cam, 2.0)) == pytest.approx(2.0, rel=1e-12)


def test_spacing_and_trigger_distance_follow_overlaps() -> None:
    cam = camera_by_name("dji-mavic3-enterprise")
    fp = footprint(cam, 60)
    assert fp.across_track_m == pytest.approx(17.3 * 60 / 12.29)  # 84.46 m
    assert fp.along_track_m == pytest.approx(13.0 * 60 / 12.29)
    assert line_spacing_m(cam, 60, 65) == pytest.approx(fp.across_track_m * 0.35)
    assert trigger_distance_m(cam, 60, 75) == pytest.approx(fp.along_track_m * 0.25)


def test_thermal_cameras_are_listed_and_coarser() -> None:
    thermal = [c for c in CAMERAS.values() if c.kind == "thermal"]
    assert len(thermal) >= 2
    assert all(gsd_cm(c, 60) > 5 for c in thermal)  # 640-px cores: several cm per px at 60 m


@pytest.mark.parametrize(("call", "field"), [
    (lambda c: gsd_cm(c, 0), "alt_m"),
    (lambda c: line_spacing_m(c, 60, 100), "sidelap_pct"),
    (lambda c: trigger_distance_m(c, 60, -5), "overlap_pct"),
    (lambda c: alt_for_gsd_m(c, 0), "gsd_cm"),
    (lambda c: camera_by_name("no-such-camera"), "camera"),
])
def test_bad_figures_name_the_field(call, field) -> None:
    with pytest.raises(CameraError, match=f"^{field}:"):
        call(camera_by_name("dji-phantom4-pro"))

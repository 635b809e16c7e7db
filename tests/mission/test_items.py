"""Typed items and their MAVLink commands convert both ways without losing a value."""

from hypothesis import given
from hypothesis import strategies as st

from mission.items import (
    ChangeSpeed,
    Delay,
    Gimbal,
    Land,
    Loiter,
    MavCommand,
    RawItem,
    RegionOfInterest,
    ReturnToLaunch,
    Takeoff,
    TakePhoto,
    TriggerDistance,
    Waypoint,
    item_to_mav,
    mav_to_item,
)

lat = st.floats(-90, 90)
lon = st.floats(-180, 180)
alt = st.floats(-100, 5000)
datum = st.sampled_from(["home", "amsl", "terrain"])
small = st.floats(0, 1000)

items = st.one_of(
    st.builds(Waypoint, lat_deg=lat, lon_deg=lon, alt_m=st.none() | alt, alt_datum=datum,
              hold_s=small, acceptance_radius_m=small, yaw_deg=st.none() | st.floats(0, 359)),
    st.builds(Takeoff, lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum, pitch_deg=small),
    st.builds(Land, lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum),
    st.builds(Loiter, lat_deg=lat, lon_deg=lon, alt_m=alt, hold_s=small, radius_m=small),
    st.builds(RegionOfInterest, lat_deg=lat, lon_deg=lon, alt_m=alt),
    st.just(ReturnToLaunch()), st.just(TakePhoto()),
    st.builds(Gimbal, pitch_deg=st.floats(-90, 30), yaw_deg=st.floats(-180, 180)),
    st.builds(TriggerDistance, distance_m=small),
    st.builds(ChangeSpeed, speed_mps=st.floats(0.1, 30), ground=st.booleans()),
    st.builds(Delay, delay_s=small),
)


@given(items)
def test_typed_item_survives_mavlink_form(item) -> None:
    assert mav_to_item(item_to_mav(item)) == item


def test_unmodelled_values_are_kept_as_raw() -> None:
    # A waypoint with param3 (pass-through radius) set: typing it as Waypoint would drop 5 m.
    m = MavCommand(command=16, frame=3, params=(0.0, 0.0, 5.0, None, 47.0, 8.0, 20.0))
    assert mav_to_item(m) == RawItem(mav=m)
    # An unknown command (VTOL transition) and a non-autocontinue waypoint likewise.
    vtol = MavCommand(command=3000, frame=2, params=(3.0, 0, 0, 0, 0, 0, 0))
    assert isinstance(mav_to_item(vtol), RawItem)
    stop = MavCommand(command=16, frame=3, params=(0, 0, 0, None, 47, 8, 20), autocontinue=False)
    assert item_to_mav(mav_to_item(stop)) == mav_to_item(stop).mav

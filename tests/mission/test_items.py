"""Typed items and their MAVLink commands convert both ways without losing a value."""

from hypothesis import given

from mission.items import MavCommand, RawItem, item_to_mav, mav_to_item
from tests.mission.strategies import any_item


@given(any_item)
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
    assert isinstance(mav_to_item(stop), RawItem)
    assert item_to_mav(mav_to_item(stop)) == stop  # written back exactly as read

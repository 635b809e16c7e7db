"""`QGC WPL 110` waypoint files: a header line, then one tab-separated line per item.

Line 0 is the home position (as QGroundControl and Mission Planner write it); the columns are
index, current, frame, command, param1-4, latitude, longitude, altitude, autocontinue. Numbers
are written at full float precision and "not set" as `nan`, so a round trip is exact.
"""

from __future__ import annotations

import math

from mission.items import MAV_FRAME_GLOBAL, MavCommand, item_to_mav, mav_to_item
from mission.plan import Home, Plan

HEADER = "QGC WPL 110"
CMD_NAV_WAYPOINT = 16


class WplFormatError(ValueError):
    """A line this reader cannot use; the message names the line and the column."""


def _fmt(v: float | None) -> str:
    if v is None:
        return "nan"
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def write_wpl(plan: Plan) -> str:
    home = plan.home
    if home is None:
        first = plan.positions()
        home = Home(lat_deg=first[0][0] if first else 0.0, lon_deg=first[0][1] if first else 0.0)
    rows = [[0, 1, MAV_FRAME_GLOBAL, CMD_NAV_WAYPOINT, 0, 0, 0, 0, home.lat_deg, home.lon_deg,
             home.alt_amsl_m, 1]]
    for k, item in enumerate(plan.items, start=1):
        m = item_to_mav(item)
        rows.append([k, 0, m.frame, m.command, *m.params, 1 if m.autocontinue else 0])
    lines = [HEADER] + ["\t".join(_fmt(v) if isinstance(v, float) or v is None else str(v)
                                  for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _num(text: str, where: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        raise WplFormatError(f"{where}: {text!r} is not a number") from None
    return None if math.isnan(v) else v


def read_wpl(text: str) -> Plan:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("QGC WPL"):
        raise WplFormatError("line 1: expected the header \"QGC WPL 110\"")
    home = None
    items = []
    for n, line in enumerate(lines[1:], start=2):
        cols = line.split("\t") if "\t" in line else line.split()
        if len(cols) != 12:
            raise WplFormatError(f"line {n}: {len(cols)} columns, expected 12")
        vals = [_num(c, f"line {n} column {k + 1}") for k, c in enumerate(cols)]
        if any(vals[k] is None for k in (0, 1, 2, 3, 11)):
            raise WplFormatError(f"line {n}: index, current, frame, command and autocontinue "
                                 "must be numbers")
        if int(vals[0] or 0) == 0 and home is None and not items:
            home = Home(lat_deg=vals[8] or 0.0, lon_deg=vals[9] or 0.0,
                        alt_amsl_m=vals[10] or 0.0)
            continue
        items.append(mav_to_item(MavCommand(
            command=int(vals[3] or 0), frame=int(vals[2] or 0), autocontinue=bool(vals[11]),
            params=tuple(vals[4:11]),  # type: ignore[arg-type]
        )))
    return Plan(items=tuple(items), home=home)

"""QGroundControl `.plan` files (JSON): simple items, the survey complex item, fence, rally.

Reads both schema generations QGroundControl has written (mission items with `coordinate` and
four params, and with seven params plus `AltitudeMode`), expands complex items into the items
QGroundControl generated for them, and writes surveys back as QGroundControl writes them, so a
file opened and saved in QGroundControl keeps its survey editable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from mission.geodesy import distance_m
from mission.items import (
    MAV_FRAME_GLOBAL,
    MAV_FRAME_GLOBAL_TERRAIN_ALT,
    MavCommand,
    MissionItem,
    TriggerDistance,
    item_position,
    item_to_mav,
    mav_to_item,
)
from mission.plan import (
    CameraSettings,
    FenceCircle,
    FencePolygon,
    Home,
    Plan,
    RallyPoint,
    Section,
)

#: QGroundControl's AltitudeMode values.
ALT_MODE_RELATIVE = 1
ALT_MODE_AMSL = 2
ALT_MODE_CALC_ABOVE_TERRAIN = 3
ALT_MODE_TERRAIN_FRAME = 4
_COORD_FRAMES = {0: ALT_MODE_AMSL, 3: ALT_MODE_RELATIVE, 5: ALT_MODE_AMSL, 6: ALT_MODE_RELATIVE,
                 10: ALT_MODE_TERRAIN_FRAME, 11: ALT_MODE_TERRAIN_FRAME}


#: Extra CameraCalc key (QGroundControl ignores it) keeping the name from Skywatch's table.
SKYWATCH_CAMERA_KEY = "SkywatchCameraName"


class QgcFormatError(ValueError):
    """A `.plan` file this reader cannot use; the message names the JSON path and the reason."""


def _num(v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise QgcFormatError(f"{where}: {v!r} is not a number")
    return float(v)


def _simple(d: dict[str, Any], where: str) -> MissionItem:
    try:
        command, frame = int(d["command"]), int(d["frame"])
        raw = list(d["params"])
    except (KeyError, TypeError, ValueError) as exc:
        raise QgcFormatError(f"{where}: simple item lacks {exc}") from None
    if "coordinate" in d:  # schema 1: four params and a coordinate triple
        raw = raw[:4] + list(d["coordinate"])
    if len(raw) != 7:
        raise QgcFormatError(f"{where}.params: needs 7 values, got {len(raw)}")
    params = [_num(v, f"{where}.params[{k}]") for k, v in enumerate(raw)]
    if d.get("AltitudeMode") == ALT_MODE_CALC_ABOVE_TERRAIN:
        # The height above terrain is what was planned; QGroundControl fills in AMSL on upload.
        frame = MAV_FRAME_GLOBAL_TERRAIN_ALT
        params[6] = _num(d.get("Altitude"), f"{where}.Altitude")
    m = MavCommand(command=command, frame=frame, params=tuple(params),  # type: ignore[arg-type]
                   autocontinue=bool(d.get("autoContinue", True)))
    return mav_to_item(m)


def _camera(calc: dict[str, Any]) -> CameraSettings | None:
    if "SensorWidth" not in calc:
        return None
    return CameraSettings(
        name=str(calc.get(SKYWATCH_CAMERA_KEY, calc.get("CameraName", ""))),
        sensor_width_mm=float(calc["SensorWidth"]),
        sensor_height_mm=float(calc["SensorHeight"]), focal_length_mm=float(calc["FocalLength"]),
        image_width_px=int(calc["ImageWidth"]), image_height_px=int(calc["ImageHeight"]),
        front_overlap_pct=float(calc.get("FrontalOverlap", 0)),
        side_overlap_pct=float(calc.get("SideOverlap", 0)))


def _complex(
    d: dict[str, Any], where: str, first: int
) -> tuple[list[MissionItem], Section | None]:
    tsc = d.get("TransectStyleComplexItem")
    if not isinstance(tsc, dict) or not isinstance(tsc.get("Items"), list):
        kind = d.get("complexItemType")
        raise QgcFormatError(f"{where}: complex item {kind!r} carries no generated Items "
                             "(open and save it in a recent QGroundControl)")
    items = [_simple(x, f"{where}.TransectStyleComplexItem.Items[{k}]")
             for k, x in enumerate(tsc["Items"])]
    if d.get("complexItemType") != "survey" or not items:
        return items, None
    calc = tsc.get("CameraCalc", {})
    section = Section(
        first=first, last=first + len(items) - 1,
        polygon=tuple((float(a), float(b)) for a, b in d.get("polygon", [])),
        angle_deg=float(d.get("angle", 0.0)), alt_m=float(calc.get("DistanceToSurface", 0.0)),
        line_spacing_m=float(calc.get("AdjustedFootprintSide", 0.0)),
        trigger_distance_m=float(calc.get("AdjustedFootprintFrontal", 0.0)),
        turnaround_m=float(tsc.get("TurnAroundDistance", 0.0)), camera=_camera(calc))
    return items, section


def read_qgc_plan(text: str) -> Plan:
    """Parse a QGroundControl `.plan` document."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QgcFormatError(f"file: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise QgcFormatError("fileType: not a QGroundControl plan (expected \"Plan\")")
    mission = doc.get("mission")
    if not isinstance(mission, dict):
        raise QgcFormatError("mission: missing")
    items: list[MissionItem] = []
    sections: list[Section] = []
    for k, d in enumerate(mission.get("items", [])):
        where = f"mission.items[{k}]"
        if d.get("type") == "SimpleItem":
            items.append(_simple(d, where))
        elif d.get("type") == "ComplexItem":
            more, section = _complex(d, where, len(items))
            items.extend(more)
            if section is not None:
                sections.append(section)
        else:
            raise QgcFormatError(f"{where}.type: {d.get('type')!r} is not SimpleItem/ComplexItem")
    home = None
    if mission.get("plannedHomePosition"):
        lat, lon, alt = mission["plannedHomePosition"]
        home = Home(lat_deg=float(lat), lon_deg=float(lon), alt_amsl_m=float(alt or 0.0))
    fence = doc.get("geoFence", {}) or {}
    polys = [FencePolygon(inclusion=bool(p.get("inclusion", True)),
                          vertices=tuple((float(a), float(b)) for a, b in p["polygon"]))
             for p in fence.get("polygons", [])]
    if fence.get("polygon"):  # version 1: one inclusion polygon
        ring = tuple((float(a), float(b)) for a, b in fence["polygon"])
        polys.append(FencePolygon(inclusion=True, vertices=ring))
    circles = [FenceCircle(inclusion=bool(c.get("inclusion", True)),
                           lat_deg=float(c["circle"]["center"][0]),
                           lon_deg=float(c["circle"]["center"][1]),
                           radius_m=float(c["circle"]["radius"]))
               for c in fence.get("circles", [])]
    rally = [RallyPoint(lat_deg=float(p[0]), lon_deg=float(p[1]), alt_m=float(p[2]))
             for p in (doc.get("rallyPoints", {}) or {}).get("points", [])]
    return Plan(items=tuple(items), home=home, fence_polygons=tuple(polys),
                fence_circles=tuple(circles), rally=tuple(rally), sections=tuple(sections),
                cruise_speed_mps=float(mission.get("cruiseSpeed", 15)),
                hover_speed_mps=float(mission.get("hoverSpeed", 5)))


def _json_num(v: float | None) -> float | int | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if float(v).is_integer() and abs(v) < 1e15 else v


def _simple_doc(item: MissionItem, jump_id: int) -> dict[str, Any]:
    m = item_to_mav(item)
    params = [_json_num(v) for v in m.params]
    d: dict[str, Any] = {}
    frame = m.frame
    if frame in _COORD_FRAMES:
        mode = _COORD_FRAMES[frame]
        alt = params[6]
        if mode == ALT_MODE_TERRAIN_FRAME:
            # Written as QGroundControl's "calculated above terrain": AMSL filled in on upload.
            mode, frame, params[6] = ALT_MODE_CALC_ABOVE_TERRAIN, MAV_FRAME_GLOBAL, None
        d.update({"AMSLAltAboveTerrain": None, "Altitude": alt, "AltitudeMode": mode})
    d.update({"autoContinue": m.autocontinue, "command": m.command, "doJumpId": jump_id,
              "frame": frame, "params": params, "type": "SimpleItem"})
    return d


def _camera_shots(items: Sequence[MissionItem]) -> int:
    """Photos the distance trigger takes over these items (QGroundControl's CameraShots)."""
    shots, trigger_m, here = 0.0, 0.0, None
    for item in items:
        if isinstance(item, TriggerDistance):
            trigger_m = item.distance_m
            shots += 1 if trigger_m > 0 else 0  # "trigger once immediately"
        pos = item_position(item)
        if pos is not None:
            if here is not None and trigger_m > 0:
                shots += distance_m(*here, *pos) / trigger_m
            here = pos
    return int(shots)


def _survey_doc(plan: Plan, s: Section, jump_id: int) -> dict[str, Any]:
    inner = [_simple_doc(it, jump_id + k) for k, it in enumerate(plan.items[s.first:s.last + 1])]
    cam = s.camera
    calc: dict[str, Any] = {
        "AdjustedFootprintFrontal": s.trigger_distance_m,
        "AdjustedFootprintSide": s.line_spacing_m,
        # QGroundControl knows its own camera list; others load as its "Custom Camera".
        "CameraName": "Custom Camera" if cam else "Manual (no camera specs)", "DistanceMode": 1,
        "DistanceToSurface": s.alt_m, "version": 2,
    }
    if cam is not None:
        calc.update({
            "FixedOrientation": False, "FocalLength": cam.focal_length_mm,
            "FrontalOverlap": cam.front_overlap_pct,
            "ImageDensity": (cam.sensor_width_mm * s.alt_m * 100
                             / (cam.focal_length_mm * cam.image_width_px)),
            "ImageHeight": cam.image_height_px, "ImageWidth": cam.image_width_px,
            "Landscape": True, "MinTriggerInterval": 0, "SensorHeight": cam.sensor_height_mm,
            "SensorWidth": cam.sensor_width_mm, "SideOverlap": cam.side_overlap_pct,
            "ValueSetIsDistance": False, SKYWATCH_CAMERA_KEY: cam.name,
        })
    visual = [[d["params"][4], d["params"][5]] for d in inner if d["command"] == 16]
    return {
        "TransectStyleComplexItem": {
            "CameraCalc": calc, "CameraShots": _camera_shots(plan.items[s.first:s.last + 1]),
            "CameraTriggerInTurnAround": True, "HoverAndCapture": False, "Items": inner,
            "Refly90Degrees": False, "TurnAroundDistance": s.turnaround_m,
            "VisualTransectPoints": visual, "version": 2,
        },
        "angle": s.angle_deg, "complexItemType": "survey", "entryLocation": 0,
        "flyAlternateTransects": False, "polygon": [list(p) for p in s.polygon],
        "splitConcavePolygons": True, "type": "ComplexItem", "version": 5,
    }


def write_qgc_plan(plan: Plan) -> str:
    """A `.plan` document; survey sections become QGroundControl survey complex items."""
    by_first = {s.first: s for s in plan.sections if s.pattern == "survey"}
    out: list[dict[str, Any]] = []
    k, jump = 0, 1
    while k < len(plan.items):
        s = by_first.get(k)
        if s is not None:
            out.append(_survey_doc(plan, s, jump))
            jump += s.last - s.first + 1
            k = s.last + 1
        else:
            out.append(_simple_doc(plan.items[k], jump))
            jump += 1
            k += 1
    home = plan.home
    if home is None:
        first = plan.positions()
        home = Home(lat_deg=first[0][0] if first else 0.0, lon_deg=first[0][1] if first else 0.0)
    doc = {
        "fileType": "Plan",
        "geoFence": {
            "circles": [{"circle": {"center": [c.lat_deg, c.lon_deg], "radius": c.radius_m},
                         "inclusion": c.inclusion, "version": 1} for c in plan.fence_circles],
            "polygons": [{"inclusion": p.inclusion, "polygon": [list(v) for v in p.vertices],
                          "version": 1} for p in plan.fence_polygons],
            "version": 2,
        },
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": plan.cruise_speed_mps, "firmwareType": 12,
            "globalPlanAltitudeMode": ALT_MODE_RELATIVE, "hoverSpeed": plan.hover_speed_mps,
            "items": out,
            "plannedHomePosition": [home.lat_deg, home.lon_deg, home.alt_amsl_m],
            "vehicleType": 2, "version": 2,
        },
        "rallyPoints": {"points": [[r.lat_deg, r.lon_deg, r.alt_m] for r in plan.rally],
                        "version": 2},
        "version": 1,
    }
    return json.dumps(doc, indent=4)

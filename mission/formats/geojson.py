"""GeoJSON: areas and zones in, plans out and back (RFC 7946, [lon, lat] order).

A plan is a FeatureCollection: the flight path as a LineString, each item as a feature whose
properties hold the typed item, fences and rally points, and the rest of the plan under a
`skywatch` member, so a map shows it and this module reads it back unchanged. Foreign files
with just a LineString read as plain waypoints.
"""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, shape

from mission.items import Waypoint, item_position, item_to_dict
from mission.plan import Plan, PlanDocError, plan_from_doc, plan_to_doc


class GeoJsonFormatError(ValueError):
    """Input that is not the GeoJSON expected; the message names the member and the reason."""


def _load(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJsonFormatError(f"file: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or "type" not in doc:
        raise GeoJsonFormatError("type: not a GeoJSON object")
    return doc


def _geometries(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    t = doc.get("type")
    if t == "FeatureCollection":
        return [(f"features[{k}].geometry", f.get("geometry") or {})
                for k, f in enumerate(doc.get("features", []))]
    if t == "Feature":
        return [("geometry", doc.get("geometry") or {})]
    return [("", doc)]


def read_polygons(text: str) -> list[Polygon]:
    """Every polygon in a GeoJSON document (Polygon, MultiPolygon, Feature, FeatureCollection)."""
    out: list[Polygon] = []
    for where, geom in _geometries(_load(text)):
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        try:
            g = shape(geom)
        except (ValueError, TypeError, IndexError, AttributeError) as exc:
            raise GeoJsonFormatError(f"{where or 'geometry'}.coordinates: {exc}") from None
        out.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    if not out:
        raise GeoJsonFormatError("features: no Polygon or MultiPolygon found")
    return out


def write_plan_geojson(plan: Plan) -> str:
    features: list[dict[str, Any]] = []
    path = []
    for item in plan.items:
        pos = item_position(item)
        if pos is not None:
            path.append([pos[1], pos[0], getattr(item, "alt_m", None) or 0.0])
    if len(path) >= 2:
        features.append({"type": "Feature", "properties": {"role": "path"},
                         "geometry": {"type": "LineString", "coordinates": path}})
    for k, item in enumerate(plan.items):
        pos = item_position(item) or (
            (item.lat_deg, item.lon_deg) if hasattr(item, "lat_deg") else None)  # ROI
        geom = {"type": "Point", "coordinates": [pos[1], pos[0]]} if pos else None
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {"role": "item", "index": k, **item_to_dict(item)}})
    for f in plan.fence_polygons:
        ring = [[lon, lat] for lat, lon in f.vertices]
        features.append({"type": "Feature", "properties": {"role": "fence",
                                                           "inclusion": f.inclusion},
                         "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}})
    doc = plan_to_doc(plan)
    doc.pop("items")
    return json.dumps({"type": "FeatureCollection", "features": features, "skywatch": doc},
                      indent=1)


def read_plan_geojson(text: str, default_alt_m: float = 50.0) -> Plan:
    doc = _load(text)
    meta = doc.get("skywatch")
    feats = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
    if isinstance(meta, dict):
        items = sorted((f["properties"] for f in feats
                        if (f.get("properties") or {}).get("role") == "item"),
                       key=lambda p: p["index"])
        body = {**meta, "items": [{k: v for k, v in p.items() if k not in ("role", "index")}
                                  for p in items]}
        try:
            return plan_from_doc(body)
        except (PlanDocError, ValueError) as exc:
            raise GeoJsonFormatError(f"skywatch.{exc}") from None
    for _, geom in _geometries(doc):
        if geom.get("type") == "LineString":
            wps = tuple(Waypoint(lat_deg=float(c[1]), lon_deg=float(c[0]),
                                 alt_m=float(c[2]) if len(c) > 2 else default_alt_m)
                        for c in geom["coordinates"])
            return Plan(items=wps)
    raise GeoJsonFormatError("features: neither a Skywatch plan nor a LineString path")

"""KML and KMZ: the flight path as a LineString, items as placemarks, read back exactly.

Each item's placemark carries the typed item as JSON in its ExtendedData, so a Skywatch KML
reads back unchanged; a foreign KML with a LineString reads as plain waypoints at the
altitudes it gives (relative to ground, as Google Earth's `relativeToGround`).
"""

from __future__ import annotations

import io
import json
import zipfile
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from mission.items import Waypoint, item_position, item_to_dict
from mission.plan import Plan, PlanDocError, plan_from_doc, plan_to_doc

NS = "http://www.opengis.net/kml/2.2"


class KmlFormatError(ValueError):
    """A KML document this reader cannot use; the message names the element and the reason."""


def write_kml(plan: Plan, name: str = "Skywatch plan") -> str:
    coords = []
    marks = []
    for k, item in enumerate(plan.items):
        pos = item_position(item)
        alt = getattr(item, "alt_m", None) or 0.0
        if pos is not None:
            coords.append(f"{pos[1]!r},{pos[0]!r},{alt!r}")
        point = (f"<Point><altitudeMode>relativeToGround</altitudeMode><coordinates>"
                 f"{pos[1]!r},{pos[0]!r},{alt!r}</coordinates></Point>") if pos else ""
        data = escape(json.dumps(item_to_dict(item)))
        marks.append(f"<Placemark><name>{k}: {item.kind}</name><ExtendedData>"
                     f"<Data name=\"item\"><value>{data}</value></Data></ExtendedData>"
                     f"{point}</Placemark>")
    meta = plan_to_doc(plan)
    meta.pop("items")
    path = (f"<Placemark><name>path</name><LineString><altitudeMode>relativeToGround"
            f"</altitudeMode><coordinates>{' '.join(coords)}</coordinates></LineString>"
            f"</Placemark>") if len(coords) >= 2 else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{NS}"><Document>'
            f"<name>{escape(name)}</name><ExtendedData><Data name=\"skywatch\"><value>"
            f"{escape(json.dumps(meta))}</value></Data></ExtendedData>{path}{''.join(marks)}"
            f"</Document></kml>\n")


def write_kmz(plan: Plan) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", write_kml(plan))
    return buf.getvalue()


def _data(el: ET.Element, name: str) -> str | None:
    for d in el.iter(f"{{{NS}}}Data"):
        if d.get("name") == name:
            v = d.find(f"{{{NS}}}value")
            return v.text if v is not None else None
    return None


def read_kml(text: str | bytes, default_alt_m: float = 50.0) -> Plan:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise KmlFormatError(f"file: not XML ({exc})") from None
    doc = root.find(f"{{{NS}}}Document")
    if doc is None:
        raise KmlFormatError("kml: no Document element")
    meta = None
    ext = doc.find(f"{{{NS}}}ExtendedData")
    if ext is not None:
        meta = _data(ext, "skywatch")
    if meta:
        items = [json.loads(v) for pm in doc.iter(f"{{{NS}}}Placemark")
                 if (v := _data(pm, "item")) is not None]
        try:
            return plan_from_doc({**json.loads(meta), "items": items})
        except (PlanDocError, ValueError) as exc:
            raise KmlFormatError(f"ExtendedData.{exc}") from None
    for line in doc.iter(f"{{{NS}}}LineString"):
        c = line.find(f"{{{NS}}}coordinates")
        if c is None or not c.text:
            continue
        wps = []
        for k, tup in enumerate(c.text.split()):
            parts = tup.split(",")
            try:
                lon, lat = float(parts[0]), float(parts[1])
                alt = float(parts[2]) if len(parts) > 2 else default_alt_m
            except (ValueError, IndexError):
                raise KmlFormatError(f"LineString.coordinates[{k}]: {tup!r} is not "
                                     "lon,lat[,alt]") from None
            wps.append(Waypoint(lat_deg=lat, lon_deg=lon, alt_m=alt))
        return Plan(items=tuple(wps))
    raise KmlFormatError("Document: no Skywatch plan and no LineString")


def read_kmz(data: bytes) -> Plan:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise KmlFormatError("kmz: no .kml file inside")
            return read_kml(z.read("doc.kml" if "doc.kml" in names else names[0]))
    except zipfile.BadZipFile:
        raise KmlFormatError("kmz: not a zip archive") from None

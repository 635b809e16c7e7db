"""Pick a plan format by file extension, for the CLI and the web layer's uploads."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import PurePath

from mission.formats.geojson import read_plan_geojson, write_plan_geojson
from mission.formats.kml import read_kml, read_kmz, write_kml, write_kmz
from mission.formats.qgc import read_qgc_plan, write_qgc_plan
from mission.formats.wpl import read_wpl, write_wpl
from mission.plan import Plan, plan_from_doc, plan_to_doc


class FormatError(ValueError):
    """An extension no format owns; the message names it."""


def _text(fn: Callable[[str], Plan]) -> Callable[[bytes], Plan]:
    def read(data: bytes) -> Plan:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"file: not UTF-8 text (byte {exc.start})") from None
        return fn(text)

    return read


def _read_doc(text: str) -> Plan:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"file: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict):
        raise FormatError("file: not a Skywatch plan document")
    return plan_from_doc(doc)


READERS: dict[str, Callable[[bytes], Plan]] = {
    ".plan": _text(read_qgc_plan),
    ".waypoints": _text(read_wpl),
    ".txt": _text(read_wpl),
    ".geojson": _text(read_plan_geojson),
    ".kml": _text(read_kml),
    ".kmz": read_kmz,
    ".json": _text(_read_doc),
}
WRITERS: dict[str, Callable[[Plan], bytes]] = {
    ".plan": lambda p: write_qgc_plan(p).encode(),
    ".waypoints": lambda p: write_wpl(p).encode(),
    ".geojson": lambda p: write_plan_geojson(p).encode(),
    ".kml": lambda p: write_kml(p).encode(),
    ".kmz": write_kmz,
    ".json": lambda p: json.dumps(plan_to_doc(p), indent=1).encode(),
}


def _ext(name: str, table: Collection[str]) -> str:
    ext = PurePath(name).suffix.lower()
    if ext not in table:
        raise FormatError(f"{name}: unknown extension {ext!r}; use one of "
                          f"{', '.join(sorted(table))}")
    return ext


def read_plan(name: str, data: bytes) -> Plan:
    return READERS[_ext(name, READERS)](data)


def write_plan(name: str, plan: Plan) -> bytes:
    return WRITERS[_ext(name, WRITERS)](plan)

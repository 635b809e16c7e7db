"""`/api/detections` on a real server: the onboard uplink stores each item once, events and
crops follow, readers filter, bad input is refused by field, and it all survives a restart."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import orjson
import websockets

from fleet.events import EventLog
from fleet.model import Dock, VehicleKind, VehicleSpec
from fleet.registry import FleetRegistry
from tests.web.auth_helpers import signed_in, ws_url_with_token
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.auth.roles import Role
from web.server import durable_event_log
from web.settings import Settings

SPECS = [
    VehicleSpec(id="uav0", name="Drone 0", kind=VehicleKind.MULTIROTOR, department="fire",
                url="udpin://0.0.0.0:14540", dock=Dock(id="d0", lat_deg=47.39, lon_deg=8.54)),
    VehicleSpec(id="uav9", name="Drone 9", kind=VehicleKind.MULTIROTOR, department="traffic",
                url="udpin://0.0.0.0:14549", dock=Dock(id="d9", lat_deg=47.39, lon_deg=8.54)),
]


@asynccontextmanager
async def ground_server(data_dir: Path) -> AsyncIterator[tuple[RunningServer, EventLog]]:
    """The server as `skywatch serve` runs it: event log journaled in the data dir."""
    settings = Settings(data_dir=data_dir)
    async with durable_event_log(settings) as events:
        registry = FleetRegistry(SPECS, events)  # not started: no links needed here
        async with running_server(create_app(registry, events, settings)) as server:
            yield server, events


def jpeg(value: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((24, 16), value, np.uint8))
    assert ok
    return data.tobytes()


def detection(ident: str, *, vehicle: str = "uav0", label: str = "person", score: float = 0.8,
              crop: bytes | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": ident, "vehicle_id": vehicle, "label": label, "modality": "thermal",
        "score": score, "captured_at": "2026-11-25T10:00:00.250000+00:00",
        "box": [100.0, 200.0, 112.0, 219.0], "image_width": 640, "image_height": 512, **extra}
    if crop is not None:
        body["crop_jpeg"] = base64.b64encode(crop).decode()
    return body


def tracked(ident: str, track_id: int = 1, vehicle: str = "uav0") -> dict[str, Any]:
    return {"id": ident, "vehicle_id": vehicle, "track_id": track_id, "label": "person",
            "evidence_at": "2026-11-25T10:00:00.250000+00:00", "lat_deg": 47.3977,
            "lon_deg": 8.5456, "alt_amsl_m": 400.0, "sigma_major_m": 3.5, "sigma_minor_m": 2.0,
            "major_bearing_deg": 30.0, "confidence": 0.75, "hits": 2,
            "evidence_detection_id": "uav0-thermal-1-0"}


def events_of(events: EventLog, kind: str) -> list[dict[str, Any]]:
    return [e.to_json_dict() for e in events.since(0, 10_000) if e.type == kind]


async def test_a_resent_batch_is_stored_once_with_events_and_crops(tmp_path: Path) -> None:
    crop = jpeg(180)
    batch = {"detections": [detection("uav0-thermal-1.0-0", crop=crop),
                            detection("uav0-thermal-1.0-1", label="fire", score=0.9)],
             "objects": [tracked("uav0-object-1-1.0")]}
    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
        admin = signed_in(server, Role.ADMIN)
        async with websockets.connect(ws_url_with_token(server, admin)) as ws:
            first = await http.post("/api/detections", json=batch, headers=uav0)
            assert first.status_code == 200, first.text
            assert first.json() == {"stored": ["uav0-thermal-1.0-0", "uav0-thermal-1.0-1",
                                               "uav0-object-1-1.0"], "duplicates": []}
            streamed = []
            while len(streamed) < 3:
                event = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                if event["type"] in ("detection", "object"):
                    streamed.append(event)
        # The answer was lost, say: the bridge sends the same batch again, twice.
        for _ in range(2):
            again = await http.post("/api/detections", json=batch, headers=uav0)
            assert again.json() == {"stored": [], "duplicates": first.json()["stored"]}

        assert [(e["type"], e["id"]) for e in streamed] == [
            ("detection", "uav0-thermal-1.0-0"), ("detection", "uav0-thermal-1.0-1"),
            ("object", "uav0-object-1-1.0")]
        assert len(events_of(events, "detection")) == 2 and len(events_of(events, "object")) == 1
        obj = streamed[2]
        assert obj["object_id"] == "uav0/1" and obj["geometry"] == {
            "type": "Point", "coordinates": [8.5456, 47.3977]}
        assert (obj["sigma_major_m"], obj["confidence"], obj["hits"]) == (3.5, 0.75, 2)

        listed = (await http.get("/api/detections", headers=admin)).json()
        assert [d["id"] for d in listed] == ["uav0-thermal-1.0-0", "uav0-thermal-1.0-1"]
        assert [d["seq"] for d in listed] == [e["seq"] for e in streamed[:2]]
        person = listed[0]
        assert person["box"] == [100.0, 200.0, 112.0, 219.0] and person["score"] == 0.8
        assert person["captured_at"] == "2026-11-25T10:00:00.250000+00:00"
        got = await http.get(person["crop_url"], headers=admin)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert got.content == crop  # byte for byte what the vehicle sent
        assert listed[1]["crop_url"] is None
        missing = await http.get("/api/detections/uav0-thermal-1.0-1/crop", headers=admin)
        assert missing.status_code == 404 and "without a crop" in missing.json()["detail"]
        assert len(list((tmp_path / "evidence").rglob("*.jpg"))) == 1


async def test_readers_filter_by_seq_label_incident_and_department(tmp_path: Path) -> None:
    async with ground_server(tmp_path) as (server, _), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
        uav9 = signed_in(server, Role.VEHICLE, vehicle_id="uav9")
        posts = [(uav0, detection("a-0", label="fire", incident_id="inc-7")),
                 (uav0, detection("a-1")),
                 (uav9, detection("b-0", vehicle="uav9", label="fire")),
                 (uav0, detection("a-2", label="smoke", incident_id="inc-7"))]
        for headers, body in posts:
            answer = await http.post("/api/detections", json={"detections": [body]},
                                     headers=headers)
            assert answer.json()["stored"] == [body["id"]]
        admin = signed_in(server, Role.ADMIN)

        async def ids(query: str, headers: dict[str, str] = admin) -> list[str]:
            answer = await http.get(f"/api/detections{query}", headers=headers)
            assert answer.status_code == 200, answer.text
            return [d["id"] for d in answer.json()]

        everything = (await http.get("/api/detections", headers=admin)).json()
        assert [d["id"] for d in everything] == ["a-0", "a-1", "b-0", "a-2"]
        assert await ids(f"?since={everything[1]['seq']}") == ["b-0", "a-2"]
        assert await ids("?label=fire") == ["a-0", "b-0"]
        assert await ids("?incident_id=inc-7") == ["a-0", "a-2"]
        assert await ids("?vehicle_id=uav9&label=fire") == ["b-0"]
        assert await ids("?limit=1") == ["a-0"]
        fire = signed_in(server, Role.FIRE_OPERATOR)  # uav0 is the fire service's, uav9 not
        assert await ids("", fire) == ["a-0", "a-1", "a-2"]
        assert await ids("?vehicle_id=uav9", fire) == []
        hidden = await http.get("/api/detections/b-0", headers=fire)
        assert hidden.status_code == 404
        one = await http.get("/api/detections/b-0", headers=admin)
        assert one.json()["seq"] == everything[2]["seq"] and one.json()["vehicle_id"] == "uav9"
        bad = await http.get("/api/detections?since=-1", headers=admin)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "since"]


async def test_objects_read_back_as_each_tracks_latest_state_by_department(
        tmp_path: Path) -> None:
    """What a console draws on opening: one entry per track, where it was last seen."""
    async with ground_server(tmp_path) as (server, _), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
        uav9 = signed_in(server, Role.VEHICLE, vehicle_id="uav9")
        updates = [(uav0, {**tracked("o-1-1", 1), "sigma_major_m": 8.0, "sigma_minor_m": 4.0}),
                   (uav0, {**tracked("o-2-1", 2), "label": "fire"}),
                   (uav9, {**tracked("p-1-1", 1, vehicle="uav9"), "lat_deg": 47.40}),
                   (uav0, {**tracked("o-1-2", 1), "lat_deg": 47.3978, "hits": 5})]
        for headers, body in updates:
            answer = await http.post("/api/detections", json={"objects": [body]},
                                     headers=headers)
            assert answer.json()["stored"] == [body["id"]], answer.text

        async def objects(headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
            answer = await http.get(f"/api/detections/objects{query}", headers=headers)
            assert answer.status_code == 200, answer.text
            return list(answer.json())

        admin = signed_in(server, Role.ADMIN)
        everything = await objects(admin)
        assert [o["object_id"] for o in everything] == ["uav0/2", "uav9/1", "uav0/1"]
        moved = everything[2]  # its second update: moved north, tighter, more hits
        assert (moved["id"], moved["lat_deg"], moved["sigma_major_m"], moved["hits"]) == (
            "o-1-2", 47.3978, 3.5, 5)
        assert everything[0]["label"] == "fire"
        assert [o["object_id"] for o in await objects(admin, "?limit=1")] == ["uav0/1"]
        fire = signed_in(server, Role.FIRE_OPERATOR)  # uav9 is the traffic police's
        assert [o["object_id"] for o in await objects(fire)] == ["uav0/2", "uav0/1"]
        assert (await http.get("/api/detections/objects", headers=uav0)).status_code == 403


#: (change to one item, the field named, words of the reason)
BAD_ITEMS: list[tuple[dict[str, Any], str | None, str]] = [
    ({"score": 1.5}, "score", "less than or equal to 1"),
    ({"score": None}, "score", "valid number"),
    ({"box": [30.0, 200.0, 10.0, 219.0]}, None, "0 <= x1 < x2"),
    ({"box": [600.0, 200.0, 700.0, 219.0]}, None, "outside the image width 640"),
    ({"crop_jpeg": base64.b64encode(b"GIF89a....").decode()}, None, "not a JPEG"),
    ({"crop_jpeg": "not base64!"}, "crop_jpeg", "base64"),
    ({"captured_at": "2026-11-25T10:00:00"}, "captured_at", "timezone"),
    ({"modality": "sonar"}, "modality", "'thermal' or 'rgb'"),
    ({"id": "has/slash"}, "id", "pattern"),
]


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
        tmp_path: Path) -> None:
    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
        for change, field, reason in BAD_ITEMS:
            batch = {"detections": [detection("ok-0"), {**detection("bad-1"), **change}]}
            answer = await http.post("/api/detections", json=batch, headers=uav0)
            assert answer.status_code == 422, (change, answer.text)
            problem = answer.json()["detail"][0]
            assert problem["loc"][:3] == ["body", "detections", 1], (change, problem)
            if field is not None:
                assert problem["loc"][3] == field, (change, problem)
            assert reason in problem["msg"], (change, problem)
        unknown = await http.post("/api/detections", json={"detections": [], "frames": []},
                                  headers=uav0)
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == [
            "body", "frames"]
        assert events_of(events, "detection") == []  # not even the good items of the batches
        admin = signed_in(server, Role.ADMIN)
        assert (await http.get("/api/detections", headers=admin)).json() == []


async def test_only_a_vehicles_own_credentials_may_post(tmp_path: Path) -> None:
    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        batch = {"detections": [detection("x-0")]}
        nobody = await http.post("/api/detections", json=batch)
        assert nobody.status_code == 401
        uav9 = signed_in(server, Role.VEHICLE, vehicle_id="uav9")
        other = await http.post("/api/detections", json=batch, headers=uav9)
        assert other.status_code == 403 and "'uav9' may not post for 'uav0'" in other.text
        admin = signed_in(server, Role.ADMIN)
        operator = await http.post("/api/detections", json=batch, headers=admin)
        assert operator.status_code == 403 and "onboard bridge" in operator.text
        reader = await http.get("/api/detections", headers=uav9)
        assert reader.status_code == 403
        assert events_of(events, "detection") == []


async def test_stored_items_and_their_crops_survive_a_restart(tmp_path: Path) -> None:
    crop = jpeg(90)
    batch = {"detections": [detection("r-0", crop=crop)]}
    async with ground_server(tmp_path) as (server, _), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0", username="bridge-uav0")
        assert (await http.post("/api/detections", json=batch, headers=uav0)).json()[
            "stored"] == ["r-0"]
    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        tokens = await http.post("/api/auth/token", data={
            "username": "bridge-uav0", "password": "kestrel over the reservoir 42"})
        uav0 = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        again = await http.post("/api/detections", json=batch, headers=uav0)
        assert again.json() == {"stored": [], "duplicates": ["r-0"]}
        admin = signed_in(server, Role.ADMIN)
        listed = (await http.get("/api/detections", headers=admin)).json()
        assert [d["id"] for d in listed] == ["r-0"]
        assert [e["seq"] for e in events_of(events, "detection")] == [listed[0]["seq"]]
        assert (await http.get(listed[0]["crop_url"], headers=admin)).content == crop


async def test_a_thing_two_drones_track_is_one_object_also_after_a_restart(
        tmp_path: Path) -> None:
    """uav9's track of the person uav0 already reports (1.5 m off, each 2 m sure) takes
    uav0's object id; a fire there, a person 60 m away, and uav0's own second track stay
    objects of their own."""
    metres_per_deg_lat = 111_320.0

    def at(ident: str, vehicle: str, track_id: int, north_m: float,
           label: str = "person") -> dict[str, Any]:
        return {**tracked(ident, track_id, vehicle), "label": label, "sigma_major_m": 2.0,
                "sigma_minor_m": 2.0, "lat_deg": 47.3977 + north_m / metres_per_deg_lat}

    def object_ids(events: EventLog) -> dict[str, str]:
        return {e["id"]: e["object_id"] for e in events_of(events, "object")}

    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
        uav9 = signed_in(server, Role.VEHICLE, vehicle_id="uav9", username="bridge-uav9")
        for headers, batch in (
                (uav0, [at("a", "uav0", 1, 0.0)]),
                (uav9, [at("b", "uav9", 4, 1.5), at("c", "uav9", 5, 0.0, "fire"),
                        at("d", "uav9", 6, 60.0)]),
                (uav0, [at("e", "uav0", 2, 1.0)])):
            answer = await http.post("/api/detections", json={"objects": batch}, headers=headers)
            assert answer.status_code == 200, answer.text
        assert object_ids(events) == {"a": "uav0/1", "b": "uav0/1", "c": "uav9/5",
                                      "d": "uav9/6", "e": "uav0/2"}
    async with ground_server(tmp_path) as (server, events), \
            httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        tokens = await http.post("/api/auth/token", data={
            "username": "bridge-uav9", "password": "kestrel over the reservoir 42"})
        uav9 = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        later = await http.post("/api/detections", json={"objects": [at("f", "uav9", 4, 0.5)]},
                                headers=uav9)
        assert later.status_code == 200, later.text
        assert object_ids(events)["f"] == "uav0/1"

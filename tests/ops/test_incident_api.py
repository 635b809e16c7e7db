"""`/api/incidents`, `/api/missions`, `/api/docks` on a real server: validation, scoping,
nothing stored for a refused report, and the dispatch explanation when no vehicle fits.

The fleet here has no vehicles (dispatch on the simulator is in `test_scenarios.py`), so every
answer is about the API's own rules: what it refuses, what it stores, who may see it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from tests.web.auth_helpers import signed_in
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.auth.roles import Department, Role
from web.settings import Settings

FIRE = {"type": "fire", "geometry": {"type": "Point", "coordinates": [114.0579, 22.5431]},
        "priority": 1, "note": "smoke over the ridge"}
BOWTIE = {"type": "Polygon", "coordinates": [[[114.0, 22.5], [114.01, 22.51], [114.01, 22.5],
                                              [114.0, 22.51], [114.0, 22.5]]]}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    events = EventLog()
    registry = FleetRegistry([], events)
    app = create_app(registry, events, Settings(data_dir=tmp_path))
    await app.state.supervisor.start()
    try:
        async with running_server(app) as running:
            yield running
    finally:
        await app.state.supervisor.stop()


async def post(server: RunningServer, path: str, headers: dict[str, str],
               body: dict[str, Any] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http_url, headers=headers) as client:
        return await client.post(path, json=body)


async def get(server: RunningServer, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http_url, headers=headers) as client:
        return await client.get(path)


async def test_every_route_needs_a_token(server: RunningServer) -> None:
    for path in ("/api/incidents", "/api/missions", "/api/docks"):
        assert (await get(server, path, {})).status_code == 401
    assert (await post(server, "/api/incidents", {}, FIRE)).status_code == 401


async def test_a_report_with_several_problems_names_each_and_stores_nothing(
        server: RunningServer) -> None:
    admin = signed_in(server)
    bad = {"type": "person_search", "geometry": BOWTIE, "priority": 9}
    r = await post(server, "/api/incidents", admin, bad)
    assert r.status_code == 422
    fields = {p["field"]: p["reason"] for p in r.json()["detail"]}
    assert "9" in fields["priority"] and "1" in fields["priority"]
    assert any("cross" in reason for f, reason in fields.items() if f.startswith("geometry"))

    r = await post(server, "/api/incidents", admin, {
        "type": "volcano", "geometry": {"type": "Point", "coordinates": [200.0, 95.0]}})
    fields = {p["field"]: p["reason"] for p in r.json()["detail"]}
    assert r.status_code == 422 and "volcano" in fields["type"]
    assert "latitude" in fields["geometry.coordinates[1]"]
    assert "longitude" in fields["geometry.coordinates[0]"]

    r = await post(server, "/api/incidents", admin, {**FIRE, "type": "traffic_accident",
                                                     "geometry": BOWTIE})
    assert r.status_code == 422 and r.json()["detail"][0]["field"].startswith("geometry")

    assert (await get(server, "/api/incidents", admin)).json() == []
    assert server.app.state.events.since(0, 100) == []  # no event for a refused report


async def test_a_search_area_is_bounded_by_what_the_servers_drones_can_fly(
        server: RunningServer) -> None:
    # The default multirotor: 5 m/s for 25 min less a 20 % reserve, 30 m search lanes:
    # about 0.18 km² a drone. This rectangle is 0.005° x 0.004°: about 0.51 x 0.44 km.
    operator = signed_in(server, Role.FIRE_OPERATOR)
    area = {"type": "Polygon", "coordinates": [[[114.05, 22.54], [114.055, 22.54],
                                                [114.055, 22.544], [114.05, 22.544],
                                                [114.05, 22.54]]]}
    search = {"type": "person_search", "geometry": area, "priority": 1}
    refused = await post(server, "/api/incidents", operator, search)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [{"field": "geometry", "reason": (
        "area 0.23 km² is more than 1 drone can search in one flight "
        "(about 0.18 km² at 30 m lanes, 5 m/s, 20 min)")}]
    assert (await get(server, "/api/incidents", operator)).json() == []
    accepted = await post(server, "/api/incidents", operator, {**search, "vehicles": 2})
    assert accepted.status_code == 201


async def test_a_fire_without_a_fitting_vehicle_is_stored_new_with_the_reason(
        server: RunningServer) -> None:
    operator = signed_in(server, Role.FIRE_OPERATOR)
    r = await post(server, "/api/incidents", operator, FIRE)
    assert r.status_code == 201
    incident = r.json()
    assert incident["state"] == "new" and incident["department"] == "fire"
    assert incident["mission_ids"] == [] and incident["reporter"].startswith("fire-operator")
    assert "no vehicle assigned" in incident["explanation"]["summary"]
    assert incident["explanation"]["shortfall"] == 1

    got = await get(server, f"/api/incidents/{incident['id']}", operator)
    assert got.json()["explanation"] == incident["explanation"]
    kinds = [e.type for e in server.app.state.events.since(0, 100)]
    assert kinds[:2] == ["incident", "dispatch"]

    cancelled = await post(server, f"/api/incidents/{incident['id']}/cancel", operator)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = await post(server, f"/api/incidents/{incident['id']}/cancel", operator)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert (await get(server, "/api/incidents/inc-999", operator)).status_code == 404


async def test_departments_scope_what_is_seen_and_who_may_report(server: RunningServer) -> None:
    fire = signed_in(server, Role.FIRE_OPERATOR)
    police = signed_in(server, Role.TRAFFIC_POLICE)
    refused = await post(server, "/api/incidents", police, FIRE)
    assert refused.status_code == 403 and "fire" in refused.json()["detail"]
    assert (await get(server, "/api/incidents", police)).json() == []

    crash = {"type": "traffic_accident", "priority": 2,
             "geometry": {"type": "Point", "coordinates": [114.06, 22.55]}}
    accident = (await post(server, "/api/incidents", police, crash)).json()
    assert accident["department"] == "traffic"
    fire_incident = (await post(server, "/api/incidents", fire, FIRE)).json()

    assert [i["id"] for i in (await get(server, "/api/incidents", police)).json()] == [
        accident["id"]]
    assert (await get(server, f"/api/incidents/{fire_incident['id']}", police)).status_code == 403
    forbidden = await post(server, f"/api/incidents/{fire_incident['id']}/cancel", police)
    assert forbidden.status_code == 403
    both = signed_in(server, Role.ANALYST, [Department.FIRE, Department.TRAFFIC])
    assert len((await get(server, "/api/incidents", both)).json()) == 2
    assert (await post(server, "/api/incidents", both, FIRE)).status_code == 403  # read-only

    # A delivery has no owning department: it is the reporter's.
    drop = {"type": "delivery", "geometry": {"type": "Point", "coordinates": [114.06, 22.55]}}
    assert (await post(server, "/api/incidents", police, drop)).json()["department"] == "traffic"


async def test_preview_answers_without_storing_or_publishing(server: RunningServer) -> None:
    admin = signed_in(server)
    r = await post(server, "/api/incidents/preview", admin, {**FIRE, "priority": 2})
    assert r.status_code == 200
    preview = r.json()
    assert preview["incident"]["priority"] == 2 and preview["incident"]["department"] == "fire"
    assert preview["tasks"] == [] and preview["explanation"]["shortfall"] == 1
    assert (await post(server, "/api/incidents/preview", admin,
                       {**FIRE, "priority": 0})).status_code == 422
    assert (await get(server, "/api/incidents", admin)).json() == []
    assert server.app.state.events.since(0, 100) == []


async def test_unknown_missions_are_404_and_the_empty_fleet_has_no_docks(
        server: RunningServer) -> None:
    admin = signed_in(server)
    assert (await get(server, "/api/missions", admin)).json() == []
    assert (await get(server, "/api/missions/m-1", admin)).status_code == 404
    assert (await post(server, "/api/missions/m-1/pause", admin)).status_code == 404
    assert (await get(server, "/api/docks", admin)).json() == []


async def test_schedules_are_validated_scoped_and_run_through_dispatch(
        server: RunningServer) -> None:
    water = signed_in(server, Role.WATER_INSPECTOR)
    patrol = {"type": "reservoir_patrol", "priority": 4, "geometry": {
        "type": "Polygon", "coordinates": [[[114.05, 22.54], [114.06, 22.54], [114.06, 22.55],
                                            [114.05, 22.54]]]}}
    bad = await post(server, "/api/schedules", water, {
        "name": "round", "period_s": 43200, "incident": {**patrol, "geometry": BOWTIE}})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"].startswith("incident.geometry")
    too_often = await post(server, "/api/schedules", water,
                           {"name": "round", "period_s": 5, "incident": patrol})
    assert too_often.status_code == 422
    assert (await get(server, "/api/schedules", water)).json() == []

    # First due three hourly slots ago, as if the server had been down since: two missed.
    first = datetime.now(UTC) - timedelta(hours=2, minutes=30)
    created = await post(server, "/api/schedules", water,
                         {"name": "reservoir every hour", "period_s": 3600,
                          "incident": patrol, "first_run_at": first.isoformat()})
    assert created.status_code == 201 and created.json()["department"] == "water"
    assert (created.json()["missed_runs"], created.json()["last_missed_at"]) == (0, None)
    police = signed_in(server, Role.TRAFFIC_POLICE)
    assert (await get(server, "/api/schedules", police)).json() == []
    sid = created.json()["id"]
    assert (await post(server, f"/api/schedules/{sid}/disable", police)).status_code == 403

    await server.app.state.supervisor.scheduler.step(datetime.now(UTC))
    incidents = (await get(server, "/api/incidents", water)).json()
    assert [(i["type"], i["reporter"]) for i in incidents] == [
        ("reservoir_patrol", f"schedule {sid}")]
    after = (await get(server, "/api/schedules", water)).json()[0]
    assert after["last_run_at"] is not None and after["next_run_at"] > after["last_run_at"]
    assert after["missed_runs"] == 2
    assert datetime.fromisoformat(after["last_missed_at"]) == first + timedelta(hours=1)
    log = (await get(server, "/api/events?since=0", water)).json()
    missed = [e["slot"] for e in log if e["type"] == "schedule" and e["what"] == "missed"]
    assert [datetime.fromisoformat(s) for s in missed] == [first, first + timedelta(hours=1)]
    off = await post(server, f"/api/schedules/{sid}/disable", water)
    assert off.status_code == 200 and off.json()["enabled"] is False

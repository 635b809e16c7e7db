"""`/ws` for signed-in users only, each seeing only its departments' vehicles.

The server's fleet is the default layout (uav0, uav1, ugv0 fire; uav2 traffic; uav3 water),
not linked to any simulator: the events are published straight into the app's event log, as
the registry publishes them, and read by real WebSocket clients.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from fleet.events import EventLog
from tests.web.auth_helpers import auth_service, signed_in, token_of, ws_url_with_token
from tests.web.conftest import WS_AUTH_TIMEOUT_S, WS_TOKEN_CHECK_S
from tests.web.server_harness import RunningServer
from web.auth.roles import Department, Role

AUTH_TIMEOUT_S = WS_AUTH_TIMEOUT_S
TOKEN_CHECK_S = WS_TOKEN_CHECK_S
DEPARTMENTS = {"uav0": "fire", "uav1": "fire", "uav2": "traffic", "uav3": "water",
               "ugv0": "fire"}


@pytest.fixture
def server(unlinked_fleet_server: RunningServer) -> RunningServer:
    assert {s.id: s.department for s in unlinked_fleet_server.app.state.fleet.specs()} \
        == DEPARTMENTS
    return unlinked_fleet_server


def _publish_round(events: EventLog, tag: int) -> None:
    """Telemetry and a state change of every vehicle, and one fleet-wide event."""
    for vehicle_id in DEPARTMENTS:
        events.publish("telemetry", {"vehicle_id": vehicle_id, "tag": tag})
        events.publish("vehicle", {"vehicle_id": vehicle_id, "link": "connected", "tag": tag})
    events.publish("notice", {"text": "fleet-wide", "tag": tag})


async def _until_tag(ws: ClientConnection, tag: int) -> list[dict[str, Any]]:
    """Every event received up to the fleet-wide event of round `tag` (which everyone sees)."""
    received: list[dict[str, Any]] = []
    async with asyncio.timeout(5):
        while not received or received[-1].get("tag") != tag or received[-1]["type"] != "notice":
            received.append(orjson.loads(await ws.recv()))
    return received


def _vehicles(received: list[dict[str, Any]]) -> set[str]:
    return {e["vehicle_id"] for e in received if "vehicle_id" in e}


async def test_an_anonymous_client_is_sent_nothing_and_closed_after_the_auth_timeout(
    server: RunningServer, events: EventLog
) -> None:
    async with websockets.connect(server.ws_url + "?since=0") as ws:
        opened = time.monotonic()
        _publish_round(events, 1)
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(AUTH_TIMEOUT_S + 3):
                message = await ws.recv()
                pytest.fail(f"an anonymous client received {message[:80]!r}")
        waited_s = time.monotonic() - opened
    assert ws.close_code == 1008 and ws.close_reason.startswith("sign in first")
    assert AUTH_TIMEOUT_S - 0.1 <= waited_s <= AUTH_TIMEOUT_S + 1.0


@pytest.mark.parametrize(
    ("first_message", "reason"),
    [
        ('{"type": "subscribe"}', "sign in first"),
        ("not json", "sign in first"),
        ('{"type": "auth", "token": "forged.token.value"}', "token rejected"),
    ],
)
async def test_a_bad_first_message_closes_the_stream_with_1008_and_sends_nothing(
    server: RunningServer, events: EventLog, first_message: str, reason: str
) -> None:
    async with websockets.connect(server.ws_url) as ws:
        _publish_round(events, 1)
        await ws.send(first_message)
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(3):
                message = await ws.recv()
                pytest.fail(f"a client that did not sign in received {message[:80]!r}")
    assert ws.close_code == 1008 and reason in ws.close_reason, ws.close_reason


async def test_a_bad_token_in_the_url_or_header_refuses_the_handshake(
    server: RunningServer,
) -> None:
    bridge = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
    for url, headers in (
        (f"{server.ws_url}?token=forged", None),
        (server.ws_url, {"Authorization": "Bearer forged"}),
        (ws_url_with_token(server, bridge), None),  # vehicle credentials read no stream
    ):
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url, additional_headers=headers)
        assert refused.value.response.status_code == 403


async def test_each_user_receives_only_its_departments_vehicles(
    server: RunningServer, events: EventLog
) -> None:
    """A traffic officer (first message), a fire operator (header) and an admin (URL), live
    and on replay from seq 0."""
    officer = signed_in(server, Role.TRAFFIC_POLICE)
    operator = signed_in(server, Role.FIRE_OPERATOR)
    admin = signed_in(server, Role.ADMIN)
    _publish_round(events, 1)  # before anyone connects: reaches them only by replay
    async with (
        websockets.connect(server.ws_url + "?since=0") as traffic_ws,
        websockets.connect(server.ws_url + "?since=0", additional_headers=operator) as fire_ws,
        websockets.connect(ws_url_with_token(server, admin, "since=0")) as admin_ws,
    ):
        await traffic_ws.send(orjson.dumps({"type": "auth", "token": token_of(officer)}).decode())
        await asyncio.sleep(0)  # let the server check the token before the live round
        replayed = {name: await _until_tag(ws, 1) for name, ws in
                    (("traffic", traffic_ws), ("fire", fire_ws), ("admin", admin_ws))}
        _publish_round(events, 2)
        live = {name: await _until_tag(ws, 2) for name, ws in
                (("traffic", traffic_ws), ("fire", fire_ws), ("admin", admin_ws))}
    for seen in (replayed, live):
        assert _vehicles(seen["traffic"]) == {"uav2"}
        assert _vehicles(seen["fire"]) == {"uav0", "uav1", "ugv0"}
        assert _vehicles(seen["admin"]) == set(DEPARTMENTS)
        assert all(any(e["type"] == "notice" for e in s) for s in seen.values())
    assert [e["type"] for e in live["traffic"]] == ["telemetry", "vehicle", "notice"]


async def test_signing_out_or_disabling_the_account_ends_an_open_stream(
    server: RunningServer, events: EventLog
) -> None:
    auth = auth_service(server)
    leaving = signed_in(server, Role.WATER_INSPECTOR, [Department.WATER])
    disabled = signed_in(server, Role.ANALYST, [Department.WATER], username="analyst-zhou")
    async with (
        websockets.connect(ws_url_with_token(server, leaving)) as leaving_ws,
        websockets.connect(ws_url_with_token(server, disabled)) as disabled_ws,
    ):
        _publish_round(events, 1)
        assert _vehicles(await _until_tag(leaving_ws, 1)) == {"uav3"}
        assert _vehicles(await _until_tag(disabled_ws, 1)) == {"uav3"}
        auth.sign_out(token_of(leaving))
        auth.update_user("analyst-zhou", disabled=True)
        started = time.monotonic()
        for ws in (leaving_ws, disabled_ws):
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(TOKEN_CHECK_S + 3):
                    while True:
                        await ws.recv()
        closed_after_s = time.monotonic() - started
    assert (leaving_ws.close_code, leaving_ws.close_reason) == (
        1008, "token revoked (signed out)")
    assert (disabled_ws.close_code, disabled_ws.close_reason) == (1008, "account disabled")
    assert closed_after_s <= TOKEN_CHECK_S + 1.0

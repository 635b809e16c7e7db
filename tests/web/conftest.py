"""Fixtures for the ground-server tests: an app on a real event log, served on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from fleet.events import EventLog
from fleet.model import Dock, VehicleKind, VehicleSpec
from fleet.registry import FleetRegistry
from skywatch.layout import default_vehicles
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.settings import Settings

#: Debian's chromium, headless, as the console tests run it (never a downloaded browser).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]  # the alarm sounds unprompted


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def empty_fleet_server(
    events: EventLog, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    """The server with a fleet of no vehicles: for tests that publish into the event log."""
    registry = FleetRegistry([], events)
    await registry.start()
    settings = Settings(data_dir=tmp_path, ws_queue_events=50)
    try:
        async with running_server(create_app(registry, events, settings)) as server:
            yield server
    finally:
        await registry.stop()


#: Seconds an unlinked-fleet server waits for a WebSocket's auth message, and between checks of
#: an open stream's token: short, so that tests see them act.
WS_AUTH_TIMEOUT_S = 1.0
WS_TOKEN_CHECK_S = 0.2


def default_layout_specs() -> list[VehicleSpec]:
    """The default layout's fleet: uav0, uav1, ugv0 fire; uav2 traffic; uav3 water."""
    return [
        VehicleSpec(id=v.id, name=v.name, kind=VehicleKind(v.kind), department=v.department,
                    url=f"udpin://127.0.0.1:{40000 + i}",
                    dock=Dock(id=f"dock-{v.id}", lat_deg=22.5, lon_deg=114.0))
        for i, v in enumerate(default_vehicles(4, 1))
    ]


@pytest.fixture
async def unlinked_fleet_server(
    events: EventLog, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    """The server with the default layout's fleet, which it never links to: for tests of who
    may see and do what, with events published straight into the log."""
    specs = default_layout_specs()
    settings = Settings(data_dir=tmp_path, ws_auth_timeout_s=WS_AUTH_TIMEOUT_S,
                        ws_token_check_s=WS_TOKEN_CHECK_S)
    async with running_server(create_app(FleetRegistry(specs, events), events, settings)) as s:
        yield s


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        yield browser
        await browser.close()

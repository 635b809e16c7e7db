"""Fixtures for the ground-server tests: an app on a real event log, served on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.settings import Settings


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

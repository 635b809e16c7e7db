"""Run the ground server: event log on the store, fleet registry, FastAPI app under uvicorn.

`serve` is the one entry point: `skywatch serve` calls it with a fleet file's vehicles, and
`skywatch up` calls it beside the simulator. It owns the lifecycle the app does not: the store
is opened (and migrated) before anything publishes, the registry starts linking to vehicles
and supervision resumes the stored missions once the socket listens, and all are stopped
again however the server stops.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn

from fleet.events import EventLog
from fleet.model import VehicleSpec
from fleet.registry import FleetRegistry
from fleet.store.database import open_database, sqlite_url
from fleet.store.journal import SqlJournal
from web.app import create_app
from web.auth.bootstrap import admin_sign_in_hint
from web.settings import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def durable_event_log(settings: Settings) -> AsyncIterator[EventLog]:
    """The event log journaled in `data_dir/skywatch.db`: seq resumes above the last stored."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_database(sqlite_url(settings.data_dir))
    journal = SqlJournal(engine)
    try:
        yield EventLog(journal=journal)
    finally:
        journal.close()
        engine.dispose()


async def serve(
    settings: Settings, specs: Sequence[VehicleSpec], started: asyncio.Event | None = None
) -> None:
    """Serve until cancelled or interrupted; `started` is set once the port listens."""
    async with durable_event_log(settings) as events:
        registry = FleetRegistry(list(specs), events)
        app = create_app(registry, events, settings)
        console_url = f"http://{settings.host}:{settings.port}/"
        # For the operator's terminal only: it may carry a generated password, so not logged.
        sys.stderr.write(admin_sign_in_hint(app.state.auth, settings, console_url) + "\n")
        sys.stderr.flush()
        server = _Server(
            uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info"),
            started,
        )
        await registry.start()
        supervisor = app.state.supervisor
        await supervisor.start()  # reconciles stored missions with what vehicles report
        try:
            await server.serve()
        finally:
            await supervisor.stop()
            await registry.stop()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: asyncio.Event | None) -> None:
        super().__init__(config)
        self._started = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self._started is not None:
            self._started.set()
        log.info("console at http://%s:%d/", self.config.host, self.config.port)

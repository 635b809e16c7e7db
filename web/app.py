"""The ground server's FastAPI application: REST under `/api`, events at `/ws`, console at `/`.

`create_app` wires routers to a fleet registry and an event log it is given; starting and
stopping the registry stays with the caller (`web.server.serve`, or a test), so the same app
runs against any fleet, and two apps in one test process do not share state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from fleet.events import EventLog
from fleet.store.operations import OperationsStore
from fleet.supervisor import Supervisor, SupervisorSettings
from web import docks, health
from web.auth import audit_routes, users_routes
from web.auth import routes as auth_routes
from web.auth.audit_requests import AuditRequests
from web.auth.bootstrap import open_auth, open_store
from web.auth.deps import authenticate, sign_in_required
from web.auth.headers import SecurityHeaders
from web.camera import routes as camera_routes
from web.camera.relay import CameraRelay
from web.console_files import mount_console
from web.deps import Fleet
from web.detections import routes as detection_routes
from web.detections.store import DetectionStore
from web.docs import mount_docs
from web.events import routes as event_routes
from web.events import stream
from web.events.fanout import Fanout
from web.events.scoping import DepartmentOf
from web.incidents import routes as incident_routes
from web.missions import routes as mission_routes
from web.schedules import routes as schedule_routes
from web.settings import Settings
from web.vehicles import routes as vehicle_routes


def create_app(registry: Fleet, events: EventLog, settings: Settings,
               supervision: SupervisorSettings | None = None) -> FastAPI:
    department_of = DepartmentOf(lambda: {spec.id: spec.department for spec in registry.specs()})
    fanout = Fanout(events, max_events=settings.ws_queue_events, department_of=department_of)
    store = open_store(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        fanout.start()
        try:
            yield
        finally:
            fanout.stop()
            store.dispose()

    app = FastAPI(
        title="Skywatch ground server",
        summary="Mission control for emergency drones and ground rescue robots",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by `mount_docs` from local assets
        redoc_url=None,
        # Every `/api` route but health and sign-in requires a bearer token (401 otherwise),
        # whatever router adds it.
        dependencies=[Depends(sign_in_required)],
    )
    app.state.fleet = registry
    app.state.events = events
    app.state.fanout = fanout
    app.state.department_of = department_of
    app.state.settings = settings
    app.state.auth = open_auth(settings, store)
    app.state.detections = DetectionStore(store, settings.data_dir / "evidence")
    app.state.camera = CameraRelay()
    # Incidents and missions live in the same store; the caller starts and stops
    # supervision, as it does the registry.
    app.state.supervisor = Supervisor(registry, events, OperationsStore(store),
                                      supervision)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AuditRequests, trail=app.state.auth.audit)

    public = APIRouter(prefix="/api")  # `PUBLIC_PATHS`: the routes that need no token
    public.include_router(health.router)
    public.include_router(auth_routes.public)
    app.include_router(public)

    api = APIRouter(prefix="/api")
    api.include_router(auth_routes.protected)
    api.include_router(users_routes.router)
    api.include_router(audit_routes.router)
    api.include_router(vehicle_routes.router)
    api.include_router(event_routes.router)
    app.include_router(api)
    operations = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])
    for router in (incident_routes.router, mission_routes.router, schedule_routes.router,
                   docks.router):
        operations.include_router(router)
    app.include_router(operations)
    app.include_router(detection_routes.router)  # carries its own sign-in requirement
    app.include_router(camera_routes.router)  # so does this
    app.include_router(stream.router)
    mount_docs(app)  # before the console: its `/static` mount would shadow the docs' assets
    mount_console(app)
    return app

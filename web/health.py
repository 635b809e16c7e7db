"""`GET /api/health`: is the server up, how many vehicles it serves, where the event log is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from web.deps import EventsDep, FleetDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    vehicles: int
    vehicles_connected: int
    last_seq: int


@router.get("/health")
async def health(fleet: FleetDep, events: EventsDep) -> Health:
    states = fleet.states()
    connected = sum(1 for s in states if s.link.value == "connected")
    return Health(
        status="ok", vehicles=len(states), vehicles_connected=connected, last_seq=events.last_seq
    )

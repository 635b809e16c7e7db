"""`GET /api/health`: is the server up, how many vehicles it serves, where the event log is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from fleet.model import LinkState
from web.deps import EventsDep, FanoutDep, FleetDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    vehicles: int
    vehicles_connected: int
    last_seq: int
    stream_clients: int  #: consoles and other clients connected to /ws


@router.get("/health")
async def health(fleet: FleetDep, events: EventsDep, fanout: FanoutDep) -> Health:
    states = fleet.states()
    connected = sum(1 for s in states if s.link is LinkState.CONNECTED)
    return Health(
        status="ok",
        vehicles=len(states),
        vehicles_connected=connected,
        last_seq=events.last_seq,
        stream_clients=fanout.clients,
    )

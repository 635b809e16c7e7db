"""`GET /api/events`: the event log page by page, for clients that poll instead of streaming."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from web.deps import EventsDep

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
async def list_events(
    events: EventsDep,
    since: int = Query(default=0, ge=0, description="return events with a greater seq"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    return [e.to_json_dict() for e in events.since(since, limit)]

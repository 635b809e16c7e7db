"""`GET /api/events`: the event log page by page, for clients that poll instead of streaming."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from web.auth.deps import PrincipalDep
from web.deps import DepartmentOfDep, EventsDep
from web.events.scoping import Audience

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
async def list_events(
    events: EventsDep,
    principal: PrincipalDep,
    department_of: DepartmentOfDep,
    since: int = Query(default=0, ge=0, description="return events with a greater seq"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Events after `since` that the user's departments may see (a page may hold fewer than
    `limit` when others were left out; continue from the last seq of the page)."""
    audience = Audience.of(principal)
    return [
        e.to_json_dict() for e in events.since(since, limit) if audience.sees(department_of(e.data))
    ]

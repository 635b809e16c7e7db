"""`/api/audit`: the audit trail for admins and commanders, as JSON or CSV, and its check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from web.auth.audit import AuditEntry
from web.auth.deps import AuthDep, PrincipalDep, require
from web.auth.roles import Action
from web.auth.store import audit_csv

router = APIRouter(prefix="/audit", tags=["audit"])

_REFUSALS = {403: {"description": "only admins and commanders read the audit trail"}}


class AuditRow(BaseModel):
    seq: int
    at: datetime
    username: str
    role: str
    action: str
    target: str
    result: str
    reason: str
    client: str

    @classmethod
    def from_domain(cls, e: AuditEntry) -> AuditRow:
        return cls(seq=e.seq, at=datetime.fromisoformat(e.at), username=e.username, role=e.role,
                   action=e.action, target=e.target, result=e.result, reason=e.reason,
                   client=e.client)


class AuditCheck(BaseModel):
    intact: bool
    first_bad_seq: int | None  #: the first row whose hash does not match the chain


class AuditFilter(BaseModel):
    """Query parameters of `/api/audit` and `/api/audit.csv`."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, max_length=64, description="user name")
    vehicle: str | None = Field(default=None, max_length=64, description="vehicle id")
    since: datetime | None = Field(default=None,
                                 description="ISO-8601, inclusive; UTC without an offset")
    until: datetime | None = Field(default=None,
                                 description="ISO-8601, inclusive; UTC without an offset")
    after: int = Field(default=0, ge=0, le=2**62, description="rows with a greater seq (paging)")
    limit: int = Field(default=1000, ge=1, le=10000)

    @field_validator("since", "until")
    @classmethod
    def _in_utc_range(cls, value: datetime | None) -> datetime | None:
        """In UTC (how rows are stored); a time without an offset is UTC, as every time at
        the API is, not the server's zone; a time that has none (year 9999 west of Greenwich)
        is refused by name rather than failing in the query."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError as e:
            raise ValueError("out of range once converted to UTC") from e


async def _entries(principal: PrincipalDep, auth: AuthDep, f: AuditFilter) -> list[AuditEntry]:
    require(principal, Action.READ_AUDIT)
    return await run_in_threadpool(
        lambda: auth.audit.query(
            username=f.user, target=f"vehicle:{f.vehicle}" if f.vehicle else None,
            since=f.since, until=f.until, after_seq=f.after, limit=f.limit,
        )
    )


@router.get("", responses=_REFUSALS)
async def list_audit(
    principal: PrincipalDep, auth: AuthDep, f: Annotated[AuditFilter, Query()]
) -> list[AuditRow]:
    """Rows oldest first, filtered by user, vehicle and time; page on with `after`."""
    return [AuditRow.from_domain(e) for e in await _entries(principal, auth, f)]


@router.get(".csv", responses={**_REFUSALS, 200: {"content": {"text/csv": {}}}},
            response_class=Response)
async def audit_as_csv(
    principal: PrincipalDep, auth: AuthDep, f: Annotated[AuditFilter, Query()]
) -> Response:
    """The same rows as CSV (for a spreadsheet or an inquiry's file)."""
    rows = await _entries(principal, auth, f)
    return Response(audit_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@router.get("/verify", responses=_REFUSALS)
async def verify_audit(principal: PrincipalDep, auth: AuthDep) -> AuditCheck:
    """Recompute the hash chain: a row edited, removed or inserted in the store shows here."""
    require(principal, Action.READ_AUDIT)
    bad = await run_in_threadpool(auth.audit.verify)
    return AuditCheck(intact=bad is None, first_bad_seq=bad)

"""`/api/users`: accounts, for admins only. A refused password is a 422 naming every reason."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from web.auth.deps import AuthDep, PrincipalDep, require
from web.auth.roles import Action, Department, Role
from web.auth.service import BadAccount
from web.auth.store import UnknownUser, User, UserExists
from web.deps import FleetDep

router = APIRouter(prefix="/users", tags=["users"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(max_length=256)
    role: Role
    departments: list[Department] = Field(
        default_factory=list, description="empty: the role's home department, if it has one"
    )
    vehicle_id: str | None = Field(
        default=None, max_length=64, description="for role `vehicle`: the vehicle it speaks for"
    )


class UserUpdate(BaseModel):
    """Every field optional: only those sent change."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, max_length=256)
    role: Role | None = None
    departments: list[Department] | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    username: str
    role: str
    departments: list[str]
    vehicle_id: str | None
    disabled: bool
    created_at: datetime

    @classmethod
    def from_domain(cls, user: User) -> UserPublic:
        return cls(
            username=user.username,
            role=user.role.value,
            departments=sorted(d.value for d in user.departments),
            vehicle_id=user.vehicle_id,
            disabled=user.disabled,
            created_at=user.created_at,
        )


def _unprocessable(e: BadAccount) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[
            {"loc": ["body", e.field], "msg": f"{e.field} {reason}", "type": "policy"}
            for reason in e.reasons
        ],
    )


_REFUSALS = {403: {"description": "only admins manage users"}}


@router.get("", responses=_REFUSALS)
async def list_users(principal: PrincipalDep, auth: AuthDep) -> list[UserPublic]:
    require(principal, Action.MANAGE_USERS)
    return [UserPublic.from_domain(u) for u in await run_in_threadpool(auth.users.all)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**_REFUSALS, 409: {"description": "the user name is taken"}},
)
async def create_user(
    body: UserCreate, principal: PrincipalDep, auth: AuthDep, fleet: FleetDep, request: Request
) -> UserPublic:
    """A user account, or an onboard bridge's credentials (role `vehicle` with `vehicle_id`):
    those may only post that vehicle's data."""
    request.state.audit_target = f"user:{body.username}"  # refused or not
    require(principal, Action.MANAGE_USERS)
    if body.vehicle_id is not None and body.vehicle_id not in {s.id for s in fleet.specs()}:
        raise _unprocessable(BadAccount("vehicle_id", [f"unknown vehicle {body.vehicle_id!r}"]))
    try:
        user = await run_in_threadpool(
            lambda: auth.create_user(
                body.username, body.password, body.role, body.departments,
                vehicle_id=body.vehicle_id,
            )
        )
    except BadAccount as e:
        raise _unprocessable(e) from e
    except UserExists as e:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from e
    return UserPublic.from_domain(user)


@router.patch("/{username}", responses={**_REFUSALS, 404: {"description": "unknown user"}})
async def update_user(
    username: str, body: UserUpdate, principal: PrincipalDep, auth: AuthDep
) -> UserPublic:
    require(principal, Action.MANAGE_USERS)
    try:
        user = await run_in_threadpool(
            lambda: auth.update_user(
                username, password=body.password, role=body.role,
                departments=body.departments, disabled=body.disabled,
            )
        )
    except BadAccount as e:
        raise _unprocessable(e) from e
    except UnknownUser as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown user {username!r}") from e
    return UserPublic.from_domain(user)

"""The FastAPI side of auth: who is asking, and may they (STYLE.md rule 12).

`sign_in_required` is an application-wide dependency (set once on the `FastAPI` app in
`web.app.create_app`): every `/api` route but those in `PUBLIC_PATHS` answers 401 without a
valid token, whichever router adds it, now or later. Handlers then ask for `PrincipalDep` (the
same principal, not checked twice) and check what they do with
`require(principal, action, department)`, which raises the 403 with the reason.

Onboard bridges sign in with per-vehicle credentials (role `vehicle`); such a principal is
refused everywhere except on routes that ask for `VehiclePrincipalDep`, and there only for its
own vehicle (`require_own_vehicle`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.dependencies.models import Dependant
from fastapi.requests import HTTPConnection
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer

from web.auth.roles import PERMISSIONS, Action, Department, Principal, Role, decide, scope
from web.auth.service import AuthService
from web.auth.tokens import InvalidToken

TOKEN_URL = "/api/auth/token"
#: The only `/api` paths that answer without a token: health, sign-in, and refresh (which
#: carries its own credential, the refresh token).
PUBLIC_PATHS = frozenset({"/api/health", TOKEN_URL, "/api/auth/refresh"})
#: Reads `Authorization: Bearer ...`; also what puts the "Authorize" button in /docs.
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_auth(conn: HTTPConnection) -> AuthService:
    auth: AuthService = conn.app.state.auth
    return auth


AuthDep = Annotated[AuthService, Depends(get_auth)]


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def authenticate(
    conn: HTTPConnection, auth: AuthDep, token: Annotated[str | None, Depends(bearer)]
) -> Principal:
    """The principal of the request's bearer token; 401 without a valid one.

    A plain `def`: the token's revocation and the user record are read from the store, which
    runs in the thread pool instead of holding up the event loop.
    """
    known: Principal | None = getattr(conn.state, "principal", None)
    if known is not None:  # checked already by `sign_in_required` for this request
        return known
    if not token:
        raise unauthorized("sign in first: send Authorization: Bearer <access token>")
    try:
        principal = auth.principal(token)
    except InvalidToken as e:
        raise unauthorized(str(e)) from e
    conn.state.principal = principal
    if principal.role is Role.VEHICLE and not _accepts_vehicles(conn):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="vehicle credentials may only post their own vehicle's data",
        )
    return principal


#: Resolved once per request however often it is asked for (FastAPI caches dependencies).
PrincipalDep = Annotated[Principal, Depends(authenticate)]


def sign_in_required(conn: HTTPConnection, auth: AuthDep) -> None:
    """The app-wide gate: 401 on any `/api` HTTP route outside `PUBLIC_PATHS` without a valid
    bearer token. `/ws` authenticates itself (its token may come in the first message), and
    the console and docs pages are public: they hold no data, only the sign-in form.

    The header is read here rather than through `bearer`, so that this gate neither adds a
    security requirement to public routes in the OpenAPI schema nor needs a `Request`.
    """
    path = conn.url.path
    if conn.scope["type"] != "http" or not path.startswith("/api/") or path in PUBLIC_PATHS:
        return
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    authenticate(conn, auth, token.strip() if scheme.lower() == "bearer" else None)


def require(principal: Principal, action: Action, department: str | None = None) -> None:
    """403 with the reason unless `principal` may do `action` (in `department`)."""
    decision = decide(principal, action, department)
    if not decision.allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=decision.reason)


def require_department(
    principal: Principal, department: str, action: Action = Action.READ
) -> None:
    """For handlers of department-owned assets (vehicles, docks, incidents, missions)."""
    require(principal, action, department)


def visible_departments(principal: Principal) -> frozenset[Department]:
    """The departments whose assets `principal` may read (empty for vehicle credentials)."""
    return scope(principal) if Action.READ in PERMISSIONS[principal.role] else frozenset()


def vehicle_principal(principal: PrincipalDep) -> Principal:
    """Onboard-bridge credentials: a `vehicle` principal bound to one vehicle id."""
    if principal.role is not Role.VEHICLE or principal.vehicle_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only a vehicle's onboard bridge may post here"
        )
    return principal


VehiclePrincipalDep = Annotated[Principal, Depends(vehicle_principal)]


def require_own_vehicle(principal: Principal, vehicle_id: str) -> None:
    """403 unless the vehicle principal posts for its own vehicle."""
    if principal.vehicle_id != vehicle_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"credentials of {principal.vehicle_id!r} may not post for {vehicle_id!r}",
        )


def _accepts_vehicles(conn: HTTPConnection) -> bool:
    route = conn.scope.get("route")
    return isinstance(route, APIRoute) and _asks_for_vehicle(route.dependant)


def _asks_for_vehicle(dependant: Dependant) -> bool:
    return any(
        d.call is vehicle_principal or _asks_for_vehicle(d) for d in dependant.dependencies
    )

"""Write every state-changing `/api` request and every refusal to the audit trail.

An ASGI middleware rather than a line in each handler, so that a route added later is audited
without anyone remembering to: who (the principal `authenticate` put in the request state),
with which role, what (method, path, and the handler's `request.state.audit_action`, e.g. the
command name), to which target (`request.state.audit_target`, or the path's id parameter:
`vehicle:uav0`), the result and its reason (the response's `detail`), the time and the client
address. The row is written before the response leaves, so a client that got an answer can
find it in the trail. Routes that record their own rows (sign-in) set `request.state.audited`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.auth.store import AuditTrail

#: Methods that change nothing: audited only when refused.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Answers that are refusals of the caller (not of the request's content).
REFUSALS = frozenset({401, 403, 429})
MAX_REASON = 500


def result_of(status: int) -> str:
    if status < 400:
        return "ok"
    return "refused" if status in REFUSALS else "failed"


def reason_of(body: bytes) -> str:
    """The `detail` of an error response, as one line (422 lists: `field: message; ...`)."""
    try:
        detail: Any = orjson.loads(body).get("detail", "")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if isinstance(error, dict):
                loc = [str(p) for p in error.get("loc", []) if p not in ("body", "query", "path")]
                parts.append(f"{'.'.join(loc)}: {error.get('msg', '')}")
        detail = "; ".join(parts)
    return str(detail)[:MAX_REASON]


def target_of(scope: Scope) -> str:
    """`kind:id` from the handler's hint or the path's parameter, else the path itself."""
    hinted = scope.get("state", {}).get("audit_target")
    if isinstance(hinted, str):
        return hinted[:200]
    for name, value in scope.get("path_params", {}).items():
        kind = "user" if name == "username" else name.removesuffix("_id")
        return f"{kind}:{value}"[:200]
    return str(scope["path"])[:200]


def record(
    trail: AuditTrail, scope: Scope, *, action: str, result: str, reason: str
) -> None:
    """One row for this request (blocking: call it from a worker thread)."""
    state = scope.get("state", {})
    principal = state.get("principal")
    client = scope.get("client")
    trail.append(
        username=principal.username if principal is not None else "",
        role=principal.role.value if principal is not None else "",
        action=action[:200],
        target=target_of(scope),
        result=result,
        reason=reason,
        client=(client[0] if client else "unknown")[:64],
        now=datetime.now(UTC),
    )


class AuditRequests:
    def __init__(self, app: ASGIApp, trail: AuditTrail) -> None:
        self.app = app
        self.trail = trail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        changing = scope["method"] not in SAFE_METHODS
        held: list[Message] = []  # an error response, until its reason is known
        recorded = False

        async def write(status: int, reason: str) -> None:
            nonlocal recorded
            recorded = True
            state = scope.get("state", {})
            if state.get("audited") or not (changing or status in REFUSALS):
                return
            detail = state.get("audit_action")
            action = f"{scope['method']} {scope['path']}" + (f" {detail}" if detail else "")
            await anyio.to_thread.run_sync(partial(
                record, self.trail, scope, action=action, result=result_of(status),
                reason=reason,
            ))

        async def audited_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await write(message["status"], "")
            elif message["type"] == "http.response.start" or held:
                held.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    body = b"".join(m.get("body", b"") for m in held[1:])
                    await write(held[0]["status"], reason_of(body))
                    for m in held:
                        await send(m)
                    held.clear()
                return
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except Exception:
            if not recorded:
                await write(500, "internal error")
            raise

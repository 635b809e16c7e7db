"""Security headers on every response, the console's and the API's alike.

The content security policy allows only the server's own scripts, styles and sockets (the
console installs its libraries from npm and serves them itself); Leaflet positions its tiles
with inline styles, hence `'unsafe-inline'` for styles only. Swagger UI at `/docs` starts from
one inline script, so that page alone may run inline scripts.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_DOCS_CSP = _CSP.replace("default-src 'self'", "default-src 'self'; script-src 'self' "
                         "'unsafe-inline'")

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = [
            *_COMMON,
            (b"content-security-policy", (_DOCS_CSP if path == "/docs" else _CSP).encode()),
        ]
        if path.startswith("/api/"):
            extra.append((b"cache-control", b"no-store"))  # tokens and positions: never cached

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

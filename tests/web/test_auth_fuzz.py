"""Fuzz the whole HTTP API from its own OpenAPI schema: no 500, and refusals change nothing.

(An answer of 500 or above passes only when the schema documents it for that operation, such
as 503 for a command to a vehicle without a link: this fleet is never linked.)

Hypothesis draws an operation of the schema (so routers added later are fuzzed too), a
caller (anonymous, a forged token, or a signed-in user of each role), path and query values
(real ids and arbitrary text) and a body generated from the operation's JSON schema, valid or
mangled. Every answer must be below 500; after every refused request (4xx) and every read,
the stored data (every table of the store but the audit trail, and the event log) must be
exactly what it was before. And the audit trail grows by exactly one row for every request
that could change something and for every refusal, by none for an allowed read: successes
included, which a test sending hand-made bodies rarely reaches.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from tests.web.auth_helpers import signed_in
from tests.web.conftest import default_layout_specs
from web.app import create_app
from web.auth.roles import Role
from web.settings import Settings

pytestmark = pytest.mark.e2e

EXAMPLES = 2000
IDS = ["uav0", "uav1", "uav2", "uav3", "ugv0", "uav9", "admin", "1", "0", "-1", "%00", ".."]
NOT_STORED = {"audit", "alembic_version"}  #: the audit trail records refusals by design
READS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSALS = frozenset({401, 403, 429})
#: Accepted requests that leave no audit row, by decision: a camera preview is a stream (about
#: two frames a second per camera) rather than a command (`web/camera/routes.py`).
UNAUDITED = frozenset({("POST", "/api/vehicles/{vehicle_id}/camera")})
#: Integers beyond the schema's bounds but within what a store column holds.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, kw_only=True)
class Served:
    app: FastAPI
    url: str
    events: EventLog
    database: Path
    callers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real uvicorn server in its own thread (hypothesis drives it synchronously)."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    events = EventLog()
    app = create_app(FleetRegistry(default_layout_specs(), events), events,
                     Settings(data_dir=data_dir))
    callers: dict[str, dict[str, str]] = {
        "anonymous": {}, "forged": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"},
    }
    for role in Role:
        callers[role.value] = signed_in(app, role, username=f"fuzz-{role.value}",
                                        vehicle_id="uav0" if role is Role.VEHICLE else None)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield Served(app=app, url=f"http://127.0.0.1:{sock.getsockname()[1]}", events=events,
                     database=data_dir / "skywatch.db", callers=callers)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


# -- values from JSON schemas ------------------------------------------------------------------

def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(INT64_MIN, INT64_MAX) | st.floats(
        allow_nan=False, allow_infinity=False) | st.text(
        max_size=20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=10), inner, max_size=4), max_leaves=10)


def from_schema(schema: dict[str, Any], components: dict[str, Any], depth: int = 0
                ) -> st.SearchStrategy[Any]:
    """Values the schema allows, mostly; the API's validation is under test, not this."""
    if "$ref" in schema:
        return from_schema(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return st.one_of([from_schema(s, components, depth) for s in schema[combined]])
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], components, depth)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if depth > 4:
        return st.none()
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, components, depth + 1) for k, v in properties.items()
             if k in required},
            optional={k: from_schema(v, components, depth + 1) for k, v in properties.items()
                      if k not in required},
        )
    if kind == "array":
        if "prefixItems" in schema:
            return st.tuples(*[from_schema(s, components, depth + 1)
                               for s in schema["prefixItems"]]).map(list)
        return st.lists(from_schema(schema.get("items", {}), components, depth + 1),
                        min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40)))
        high = schema.get("maximum", schema.get("exclusiveMaximum", 2**40))
        return st.integers(int(low), int(high)) | st.integers(INT64_MIN, INT64_MAX)
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        return st.floats(low, high, allow_nan=False, allow_infinity=False) | st.floats(
            allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes().map(lambda d: d.isoformat() + "Z") | st.text(max_size=10)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= schema.get("maxLength", 64)) | st.text(max_size=20)
        return st.text(min_size=schema.get("minLength", 0),
                       max_size=min(schema.get("maxLength", 40), 40))
    return _json_values()


@dataclass(frozen=True, kw_only=True)
class Operation:
    method: str
    path: str
    path_params: list[str]
    query: dict[str, dict[str, Any]]
    body_type: str | None
    body_schema: dict[str, Any]
    documented: frozenset[int]  #: the answers the schema lists (e.g. 503: no vehicle link)


def operations(schema: dict[str, Any]) -> list[Operation]:
    ops = []
    for path, items in schema["paths"].items():
        for method, op in items.items():
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            body_type = next(iter(content), None)
            ops.append(Operation(
                method=method.upper(), path=path,
                path_params=[p["name"] for p in params if p["in"] == "path"],
                query={p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"},
                body_type=body_type,
                body_schema=content[body_type].get("schema", {}) if body_type else {},
                documented=frozenset(int(code) for code in op.get("responses", {})
                                     if code.isdigit()),
            ))
    return ops


Request = tuple[Operation, str, str, dict[str, Any], Any]  #: op, caller, path, query, body


def requests(ops: list[Operation], components: dict[str, Any],
             callers: list[str]) -> st.SearchStrategy[Request]:
    """Each operation's strategies are built once, here: building them on every draw cost
    more than sending the request."""
    ids = st.sampled_from(IDS) | st.text(min_size=1, max_size=12)
    planned = [(
        op,
        {name: from_schema(schema, components) | st.text(max_size=8)
         for name, schema in op.query.items()},
        from_schema(op.body_schema, components) | _json_values() if op.body_type else st.none(),
    ) for op in ops]

    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        op, query_values, body_values = draw(st.sampled_from(planned))
        caller = draw(st.sampled_from(callers))
        if op.path == "/api/auth/sign-out" and caller not in ("anonymous", "forged"):
            caller = "forged"  # a real sign-out would end the fuzzing users' sessions
        path = op.path
        for name in op.path_params:
            path = path.replace(f"{{{name}}}", quote(draw(ids), safe=""))
        query = {}
        for name, values in query_values.items():
            if draw(st.booleans()):
                value = draw(values)
                query[name] = value if isinstance(value, str) else str(value).lower()
        return op, caller, path, query, draw(body_values)

    return draw_request()


def stored_state(served: Served) -> tuple[tuple[object, ...], int]:
    """The stored data (every table but the audit trail's, and the event log's last seq), and
    the number of audit rows."""
    with sqlite3.connect(served.database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if r[0] not in NOT_STORED]
        dump = tuple((t, tuple(sorted(map(repr, db.execute(f'SELECT * FROM "{t}"')))))
                     for t in sorted(tables))
        audit_rows = int(db.execute("SELECT count(*) FROM audit").fetchone()[0])
    return (served.events.last_seq, dump), audit_rows


def audit_rows_expected(op: Operation, response: httpx.Response) -> int:
    status = response.status_code
    if not response.request.url.path.startswith("/api/"):
        return 0  # an id of ".." takes the request out of the API (and the audit) altogether
    if status in REFUSALS:
        return 1
    if op.method in READS or ((op.method, op.path) in UNAUDITED and status < 400):
        return 0
    return 1


def send(http: httpx.Client, served: Served, op: Operation, caller: str, path: str,
         query: dict[str, Any], body: Any) -> httpx.Response:
    headers = served.callers[caller]
    if op.body_type == "application/json":
        return http.request(op.method, path, params=query, headers=headers, json=body)
    if op.body_type == "application/x-www-form-urlencoded":
        form = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        return http.request(op.method, path, params=query, headers=headers, data=form)
    if op.body_type == "multipart/form-data":
        return http.request(op.method, path, params=query, headers=headers,
                            files={"file": ("plan.plan", repr(body).encode())})
    return http.request(op.method, path, params=query, headers=headers)


def test_thousands_of_generated_requests_never_get_500_and_refusals_store_nothing(
    served: Served,
) -> None:
    schema = served.app.openapi()
    ops = [op for op in operations(schema) if op.path.startswith("/api/")]
    components = schema["components"]["schemas"]
    statuses: dict[int, int] = {}
    #: The stored data after the previous request: the next one's "before" (nothing else
    #: writes to this server's store), so each request costs one dump, not two.
    previous = [stored_state(served)]
    with httpx.Client(base_url=served.url, timeout=30) as http:

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(requests(ops, components, sorted(served.callers)))
        def check(request: Request) -> None:
            op, caller, path, query, body = request
            response = send(http, served, op, caller, path, query, body)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500 or response.status_code in op.documented, (
                op.method, path, caller, body, response.status_code, response.text)
            (before, rows_before), previous[0] = previous[0], stored_state(served)
            after, rows_after = previous[0]
            if response.status_code >= 400 or op.method == "GET":
                assert after == before, (op.method, path, caller, body, response.status_code)
            assert rows_after - rows_before == audit_rows_expected(op, response), (
                "audit rows", op.method, path, caller, response.status_code)

        check()
    sent = sum(statuses.values())
    assert sent >= EXAMPLES * 0.9, statuses
    assert statuses.get(401, 0) > 100 and statuses.get(403, 0) > 100, statuses
    assert statuses.get(422, 0) > 50, statuses
    assert sum(n for code, n in statuses.items() if code < 300) > 100, statuses

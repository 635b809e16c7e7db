"""The audit trail's hash chain: editing, deleting or reordering a row breaks it detectably.

Each row's hash covers its own fields and the previous row's hash (SHA-256 over canonical
JSON), so verification needs nothing but the rows themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

GENESIS = "0" * 64


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """One state-changing request or refusal: who, as what, did what to which target, result."""

    seq: int
    at: str  #: ISO-8601 UTC
    username: str
    role: str
    action: str  #: e.g. "POST /api/vehicles/uav0/commands arm"
    target: str  #: e.g. "vehicle:uav0"
    result: str  #: "ok" | "refused" | "failed"
    reason: str
    client: str  #: client address


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(asdict(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def first_broken(rows: Iterable[tuple[AuditEntry, str]]) -> int | None:
    """The seq of the first row whose stored hash does not match the chain, or None."""
    prev, expected_seq = GENESIS, None
    for entry, stored in rows:
        if expected_seq is not None and entry.seq != expected_seq:
            return entry.seq  # a row was removed or inserted
        if entry_hash(prev, entry) != stored:
            return entry.seq
        prev, expected_seq = stored, entry.seq + 1
    return None

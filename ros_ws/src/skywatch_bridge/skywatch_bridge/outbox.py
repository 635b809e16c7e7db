"""Store-and-forward queue on disk: what the ground server has not acknowledged yet.

Items are committed to a SQLite file before the node returns from the message callback, and
leave it only when the server has answered for them (stored, or already had it). So a link cut,
a server restart or the bridge's own crash loses nothing, and since every item keeps the id the
server deduplicates on, a batch sent again after a lost answer stores nothing twice.
Items the server refuses as malformed (422) are kept aside in `rejected`, with the reason, so
one bad item cannot block the queue behind it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    id: str
    kind: str  #: "detections" or "objects": the batch list it goes into
    body: dict[str, Any]


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # autocommit mode; transactions are explicit. One connection, shared under a lock:
        # the ROS callbacks put, the sender thread takes.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # committed survives power loss too
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def put(self, items: Iterable[Item]) -> int:
        """Queue the items (one transaction); an id already queued is ignored. Returns how
        many were added."""
        rows = [(i.id, i.kind, json.dumps(i.body, separators=(",", ":"))) for i in items]
        if not rows:
            return 0
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (id, kind, body) VALUES (?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def oldest(self, limit: int) -> list[Item]:
        with self._lock:
            rows = self._db.execute("SELECT id, kind, body FROM outbox ORDER BY n LIMIT ?",
                                    (limit,)).fetchall()
        return [Item(id=r[0], kind=r[1], body=json.loads(r[2])) for r in rows]

    def remove(self, ids: Sequence[str]) -> None:
        """Forget items the server has answered for."""
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def reject(self, item: Item, reason: str) -> None:
        """Move an item the server will never take out of the way, keeping why."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO rejected (id, kind, body, reason) "
                             "VALUES (?, ?, ?, ?)",
                             (item.id, item.kind, json.dumps(item.body), reason))
            self._db.execute("DELETE FROM outbox WHERE id = ?", (item.id,))
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def rejected(self) -> list[tuple[str, str]]:
        """(id, reason) of every item set aside."""
        with self._lock:
            return [(r[0], r[1]) for r in
                    self._db.execute("SELECT id, reason FROM rejected ORDER BY id")]

    def close(self) -> None:
        with self._lock:
            self._db.close()

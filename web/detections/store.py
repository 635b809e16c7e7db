"""Where posted detections and object updates live: the server's store, plus crops on disk.

Every row is keyed by the id the vehicle gave it, so a batch the bridge resends after a lost
answer finds its rows already there and stores nothing twice. The event is published (and so
journaled) before the row is inserted: a refused event stores nothing and the bridge's retry
tries again. Publishing outside the row's transaction matters on SQLite, whose single writer
lock would otherwise make the journal wait on this very transaction. Should the insert fail
after its event went out, the retry publishes the event again: rows are exactly once, events
at least once, and each carries the detection's id for consumers to fold on.

The tables are created here (idempotently, on any SQLAlchemy backend) rather than by an Alembic
migration, because they are this feature's alone and nothing else reads them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from fleet.events import Event
from web.detections.fusion import ObjectFusion, TrackFix

metadata = MetaData()

detections = Table(
    "detections",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),  #: of its `detection` event: the paging key
    Column("vehicle_id", String(64), nullable=False),
    Column("incident_id", String(64), nullable=True),
    Column("label", String(40), nullable=False),
    Column("t", DateTime(timezone=True), nullable=False),  #: frame capture time, UTC
    Column("data", JSON, nullable=False),  #: the event body as published
    Index("ix_detections_seq", "seq"),
)

object_updates = Table(
    "object_updates",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("vehicle_id", String(64), nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("label", String(40), nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("lon_deg", Float, nullable=False),
    Column("data", JSON, nullable=False),
)

#: Publishes one event (the server's `EventLog.publish`); raises if it cannot be stored.
Publish = Callable[[str, dict[str, Any]], Event]


@dataclass(frozen=True, kw_only=True, slots=True)
class NewRow:
    """One posted item: its id, the event to publish for it, and the columns to keep."""

    id: str
    event_type: str  #: "detection" or "object"
    data: dict[str, Any]
    columns: dict[str, Any]
    crop_jpeg: bytes | None = None


class DetectionStore:
    def __init__(self, engine: Engine, evidence_dir: Path) -> None:
        self._engine = engine
        self.evidence_dir = evidence_dir
        metadata.create_all(engine, checkfirst=True)
        #: Which ground object each vehicle's track is (`fusion`), carried over a restart.
        self.fusion = ObjectFusion()
        for _, data in self.objects(limit=100_000):
            self.fusion.seed(data["object_id"], track_fix(data))

    def add(self, rows: Sequence[NewRow], publish: Publish) -> tuple[list[str], list[str]]:
        """Store each row not yet stored and publish its event; returns (stored, duplicates)
        ids, in the order given. A duplicate within one batch counts as a duplicate too."""
        stored: list[str] = []
        duplicates: list[str] = []
        for row in rows:
            table = detections if row.event_type == "detection" else object_updates
            with self._engine.connect() as conn:
                known = conn.execute(select(table.c.id).where(table.c.id == row.id)).first()
            if known:
                duplicates.append(row.id)
                continue
            if row.crop_jpeg is not None:
                self._write_crop(row.id, row.crop_jpeg)  # before anything names it
            event = publish(row.event_type, row.data)
            try:
                with self._engine.begin() as conn:
                    conn.execute(table.insert().values(id=row.id, seq=event.seq,
                                                       data=dict(event.data), **row.columns))
            except IntegrityError:  # another server process stored it since the check
                duplicates.append(row.id)
                continue
            stored.append(row.id)
        return stored, duplicates

    def detections(self, *, since_seq: int = 0, label: str | None = None,
                   incident_id: str | None = None, vehicle_ids: Sequence[str] | None = None,
                   limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """(seq, event body) of stored detections after `since_seq`, oldest first."""
        query = select(detections.c.seq, detections.c.data).where(detections.c.seq > since_seq)
        if label is not None:
            query = query.where(detections.c.label == label)
        if incident_id is not None:
            query = query.where(detections.c.incident_id == incident_id)
        if vehicle_ids is not None:
            query = query.where(detections.c.vehicle_id.in_(list(vehicle_ids)))
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(detections.c.seq).limit(limit)).all()
        return [(int(seq), dict(data)) for seq, data in rows]

    def objects(self, *, vehicle_ids: Sequence[str] | None = None,
                limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """(seq, event body) of the latest update of each tracked object (vehicle, track),
        the `limit` most recently updated, oldest first: what a console draws on opening."""
        latest = select(func.max(object_updates.c.seq).label("seq")).group_by(
            object_updates.c.vehicle_id, object_updates.c.track_id)
        if vehicle_ids is not None:
            latest = latest.where(object_updates.c.vehicle_id.in_(list(vehicle_ids)))
        newest = latest.subquery()
        query = (select(object_updates.c.seq, object_updates.c.data)
                 .join(newest, object_updates.c.seq == newest.c.seq)
                 .order_by(object_updates.c.seq.desc()).limit(limit))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(int(seq), dict(data)) for seq, data in reversed(rows)]

    def detection(self, detection_id: str) -> tuple[int, dict[str, Any]] | None:
        """(seq, event body) of one stored detection."""
        with self._engine.connect() as conn:
            row = conn.execute(select(detections.c.seq, detections.c.data)
                               .where(detections.c.id == detection_id)).first()
        return (int(row[0]), dict(row[1])) if row else None

    def crop_path(self, detection_id: str) -> Path:
        """File of a detection's evidence crop (named by a hash: ids are the vehicle's text)."""
        digest = hashlib.sha256(detection_id.encode()).hexdigest()[:40]
        return self.evidence_dir / digest[:2] / f"{digest}.jpg"

    def _write_crop(self, detection_id: str, jpeg: bytes) -> None:
        path = self.crop_path(detection_id)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(jpeg)
        os.replace(partial, path)  # a reader never sees half a file


def track_fix(data: dict[str, Any]) -> TrackFix:
    """The fusion's view of an `object` event body."""
    return TrackFix(vehicle_id=data["vehicle_id"], track_id=int(data["track_id"]),
                    label=data["label"], lat_deg=float(data["lat_deg"]),
                    lon_deg=float(data["lon_deg"]), sigma_m=float(data["sigma_major_m"]))

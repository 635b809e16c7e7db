"""The durable side of the event log: append before broadcast, replay after a restart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from fleet.events import Event, EventNotStored
from fleet.store.schema import counters, events

SEQ_COUNTER = "event_seq"


class SqlJournal:
    """Events in a SQL table, one committed transaction per event.

    A commit per event is what "stored before it is broadcast" means: once `append` returns,
    a `kill -9` cannot lose the event. SQLite in WAL mode commits in tens of microseconds.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # One connection kept for the single writer: checking one out per event would
        # halve the append rate.
        self._writer = engine.connect()
        self._insert = insert(events)

    def close(self) -> None:
        self._writer.close()

    def append(self, event: Event) -> None:
        row = {"seq": event.seq, "type": event.type, "t": event.t, "data": dict(event.data)}
        try:
            with self._writer.begin():
                self._writer.execute(self._insert, row)
        except SQLAlchemyError as e:
            raise EventNotStored(f"{event.type} event {event.seq} not stored: {e.orig or e}") from e

    def load_since(self, seq: int, limit: int, before: int | None = None) -> list[Event]:
        """Stored events with `seq < seq' < before`, oldest first, at most `limit`."""
        query = select(events).where(events.c.seq > seq).order_by(events.c.seq).limit(limit)
        if before is not None:
            query = query.where(events.c.seq < before)
        with self._engine.connect() as c:
            rows = c.execute(query).all()
        return [Event(seq=seq, type=kind, t=_as_utc(t), data=data) for seq, kind, t, data in rows]

    def high_water(self) -> int:
        """The highest seq ever stored or reserved: numbering resumes above it."""
        with self._engine.connect() as c:
            stored = c.execute(select(func.max(events.c.seq))).scalar() or 0
            reserved = c.execute(
                select(counters.c.value).where(counters.c.name == SEQ_COUNTER)
            ).scalar()
        return max(stored, reserved or 0)

    def reserve(self, upto: int) -> None:
        """Record that seq numbers up to `upto` may be handed out without being stored."""
        with self._engine.begin() as c:
            changed = c.execute(
                update(counters).where(counters.c.name == SEQ_COUNTER).values(value=upto)
            ).rowcount
            if not changed:
                c.execute(insert(counters).values(name=SEQ_COUNTER, value=upto))


def _as_utc(t: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones in its zone."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)

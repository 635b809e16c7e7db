"""Tables, as SQLAlchemy Core metadata; the migrations in `migrations/versions` create them."""

from sqlalchemy import JSON, BigInteger, Column, DateTime, MetaData, String, Table

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(40), nullable=False),
    Column("t", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)

#: Named counters; `event_seq` holds the highest sequence number handed out or reserved, so
#: that seq keeps increasing across restarts even for events that are not stored.
counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

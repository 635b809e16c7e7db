"""Tables, as SQLAlchemy Core metadata; the migrations in `migrations/versions` create them."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, MetaData, String, Table

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

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("departments", JSON, nullable=False),
    Column("vehicle_id", String(64), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(200), nullable=False),
    Column("target", String(200), nullable=False),
    Column("result", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("client", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

"""Tables of incidents, missions, tasks and schedules (created by migration 0003, 0004)."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

incidents = Table(
    "incidents", metadata,
    Column("id", String(32), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("department", String(32), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("note", Text, nullable=False),
    Column("reporter", String(64), nullable=False),
    Column("vehicles", Integer, nullable=False),
    Column("explanation", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

missions = Table(
    "missions", metadata,
    Column("id", String(32), primary_key=True),
    Column("incident_id", String(32), ForeignKey("incidents.id"), nullable=True),
    Column("department", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

tasks = Table(
    "tasks", metadata,
    Column("id", String(32), primary_key=True),
    Column("mission_id", String(32), ForeignKey("missions.id"), nullable=False),
    Column("vehicle_id", String(64), nullable=False),
    Column("department", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

schedules = Table(
    "schedules", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("department", String(32), nullable=False),
    Column("incident", JSON, nullable=False),
    Column("period_s", Float, nullable=False),
    Column("next_run_at", DateTime(timezone=True), nullable=False),
    Column("last_run_at", DateTime(timezone=True), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("missed_runs", Integer, nullable=False, server_default="0"),  # migration 0004
    Column("last_missed_at", DateTime(timezone=True), nullable=True),
)

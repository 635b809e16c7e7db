"""Durable state of the ground server: SQLAlchemy 2 over SQLite (WAL) by default, PostgreSQL by
URL, schema changes only through Alembic migrations shipped in this package."""

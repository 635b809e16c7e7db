"""The ground server's settings: one typed object, read from `SKYWATCH_*` environment variables.

Defaults run everything embedded on one machine (DESIGN.md): the server on localhost:8000, the
SQLite store and event journal under `./data`, the fleet described by `fleet.yaml`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKYWATCH_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Path("data")
    fleet_file: Path = Path("fleet.yaml")
    #: Events a WebSocket client may have queued (telemetry coalesced per vehicle aside) before
    #: the server closes it and asks it to resume with `since`.
    ws_queue_events: int = Field(default=2000, ge=1)
    #: Seconds a WebSocket client without a token in its URL or headers has to send its
    #: `{"type": "auth", "token": ...}` message before it is closed.
    ws_auth_timeout_s: float = Field(default=10.0, gt=0)
    #: Seconds between checks of an open stream's token (signed out, expired, disabled).
    ws_token_check_s: float = Field(default=30.0, gt=0)
    #: The store (users, audit trail, event journal); None: SQLite in `data_dir`.
    database_url: str | None = None
    #: Password of the `admin` account created on first start; None: a random one, shown once.
    admin_password: SecretStr | None = None
    #: Key signing access tokens; None: a random key kept in `data_dir/token.key` (mode 0600),
    #: so that tokens outlive a restart. Several servers behind one address must share it.
    secret_key: SecretStr | None = None

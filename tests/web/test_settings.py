"""Server settings come from `SKYWATCH_*` variables; a bad value names the variable's field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from web.settings import Settings


def test_environment_variables_set_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYWATCH_PORT", "8123")
    monkeypatch.setenv("SKYWATCH_HOST", "0.0.0.0")
    monkeypatch.setenv("SKYWATCH_DATA_DIR", "/var/lib/skywatch")
    monkeypatch.setenv("SKYWATCH_FLEET_FILE", "city.yaml")
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 8123)
    assert settings.data_dir == Path("/var/lib/skywatch")
    assert settings.fleet_file == Path("city.yaml")


def test_a_port_out_of_range_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYWATCH_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings()

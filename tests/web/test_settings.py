"""Server settings come from `SKYWATCH_*` variables; a bad value names the variable's field."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from web.cli import register
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


def test_serve_refuses_an_admin_password_the_policy_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Before anything starts, with the variable's name and the reason; no traceback."""
    monkeypatch.setenv("SKYWATCH_ADMIN_PASSWORD", "admin admin 123")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "error: SKYWATCH_ADMIN_PASSWORD: must not contain the username" in result.output
    assert not (tmp_path / "data").exists()  # no store created, no account made

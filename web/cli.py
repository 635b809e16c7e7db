"""`skywatch serve`: the ground server and console for the vehicles of a fleet file."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from web import audit_cli, users_cli
from web.fleet_file import FleetFileError, load_fleet_file
from web.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    users_cli.register(app)
    audit_cli.register(app)


def serve_command(
    fleet: Annotated[
        Path | None, typer.Option("--fleet", help="fleet file (YAML); SKYWATCH_FLEET_FILE")
    ] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default 8000)")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="store and event journal directory")
    ] = None,
) -> None:
    """Serve the REST API (/api), the event stream (/ws) and the console (/)."""
    overrides = {
        key: value
        for key, value in (("fleet_file", fleet), ("host", host), ("port", port),
                           ("data_dir", data_dir))
        if value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as e:
        first = e.errors()[0]
        typer.echo(f"error: {'.'.join(map(str, first['loc']))}: {first['msg']}", err=True)
        raise typer.Exit(2) from e
    from web.auth.bootstrap import admin_password_problem  # argon2 and the store: not for --help

    if problem := admin_password_problem(settings):
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    try:
        specs = load_fleet_file(settings.fleet_file)
    except FleetFileError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    from web.server import serve  # the server's imports (MAVSDK, uvicorn) only when serving

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, specs))

"""`skywatch up`: the embedded default, simulator + ground server + console in one command.

The simulator runs as its own process, exactly as PX4 SITL would, and the server reaches it
only through the fleet file's MAVLink URLs; both files are written from one layout
(`skywatch.layout`) into the data directory, so they cannot disagree and can be inspected.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from skywatch.layout import (
    SHENZHEN_LAT_DEG,
    SHENZHEN_LON_DEG,
    default_vehicles,
    fleet_document,
    world_document,
)


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)


def up_command(
    vehicles: Annotated[int, typer.Option(min=0, max=200, help="Simulated drones.")] = 4,
    rovers: Annotated[int, typer.Option(min=0, max=50, help="Simulated ground robots.")] = 1,
    speedup: Annotated[float, typer.Option(help="Simulation speed-up factor.")] = 1.0,
    port: Annotated[int, typer.Option(help="HTTP port of the server and console.")] = 8000,
    host: Annotated[str, typer.Option(help="Address the server listens on.")] = "127.0.0.1",
    base_port: Annotated[int, typer.Option(help="Vehicle i speaks MAVLink on UDP base+i.")] = 14540,
    home: Annotated[str, typer.Option(help="LAT,LON the docks are spread around.")] = (
        f"{SHENZHEN_LAT_DEG},{SHENZHEN_LON_DEG}"
    ),
    data_dir: Annotated[Path, typer.Option(help="Store, fleet and world files, logs.")] = Path(
        "data"
    ),
) -> None:
    """Start the simulator, the ground server and the console together."""
    try:
        lat_deg, lon_deg = (float(part) for part in home.split(","))
    except ValueError:
        typer.echo(f"error: --home: {home!r} is not LAT,LON", err=True)
        raise typer.Exit(2) from None
    if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
        typer.echo(f"error: --home: {lat_deg},{lon_deg} is outside -90..90, -180..180", err=True)
        raise typer.Exit(2)
    if vehicles + rovers == 0:
        typer.echo("error: --vehicles/--rovers: nothing to simulate", err=True)
        raise typer.Exit(2)

    data_dir.mkdir(parents=True, exist_ok=True)
    layout = default_vehicles(vehicles, rovers)
    world_file, fleet_file = data_dir / "world.yaml", data_dir / "fleet.yaml"
    world_file.write_text(yaml.safe_dump(world_document(layout, lat_deg, lon_deg)))
    fleet_file.write_text(
        yaml.safe_dump(fleet_document(layout, lat_deg, lon_deg, base_port), sort_keys=False)
    )

    # Imported here so that `skywatch --help` stays fast and light.
    from web.auth.bootstrap import admin_password_problem
    from web.fleet_file import load_fleet_file
    from web.server import serve
    from web.settings import Settings

    specs = load_fleet_file(fleet_file)
    settings = Settings(host=host, port=port, data_dir=data_dir, fleet_file=fleet_file)
    if problem := admin_password_problem(settings):
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    with (data_dir / "sim.log").open("ab") as sim_log:
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim",
                "--world",
                str(world_file),
                "--speedup",
                str(speedup),
                "--base-port",
                str(base_port),
            ],
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        typer.echo(
            f"simulator: {vehicles} drones, {rovers} rovers on UDP {base_port}+ "
            f"(log {data_dir / 'sim.log'})"
        )
        typer.echo(f"console:   http://{host}:{port}/")
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(settings, specs))
        finally:
            sim.terminate()
            try:
                sim.wait(timeout=5)
            except subprocess.TimeoutExpired:
                sim.kill()

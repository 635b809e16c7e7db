"""`skywatch up`: the embedded default, simulator + onboard perception + ground server + console.

The simulator runs as its own process, exactly as PX4 SITL would, and the server reaches it
only through the fleet file's MAVLink URLs; both files are written from one layout
(`skywatch.layout`) into the data directory, so they cannot disagree and can be inspected.
The world holds the example scene (fires, people, a reservoir near the first dock), and each
drone's onboard ROS 2 nodes (camera bridge, detectors, geolocator, uplink) run as they would on
the aircraft, posting to the server with a `vehicle` account provisioned for this start.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from skywatch.layout import (
    SHENZHEN_LAT_DEG,
    SHENZHEN_LON_DEG,
    default_vehicles,
    fleet_document,
    world_document,
)

if TYPE_CHECKING:
    from fleet.model import VehicleSpec
    from web.settings import Settings


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
    onboard: Annotated[bool, typer.Option(
        help="Run each drone's onboard ROS 2 nodes on simulated camera frames (default: when "
             "`make setup` installed them).")] = True,
    example_scene: Annotated[bool, typer.Option(
        help="Put the example scene (two fires, five people, a reservoir) in the world.")] = True,
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

    # Imported here so that `skywatch --help` stays fast and light.
    from sim.example_world import example_scene_document
    from sim.runner import camera_port

    data_dir.mkdir(parents=True, exist_ok=True)
    layout = default_vehicles(vehicles, rovers)
    world_file, fleet_file = data_dir / "world.yaml", data_dir / "fleet.yaml"
    world = world_document(layout, lat_deg, lon_deg)
    if example_scene:
        world |= example_scene_document(lat_deg, lon_deg)
    world_file.write_text(yaml.safe_dump(world))
    fleet_file.write_text(
        yaml.safe_dump(fleet_document(layout, lat_deg, lon_deg, base_port), sort_keys=False)
    )

    from web.auth.bootstrap import admin_password_problem
    from web.fleet_file import load_fleet_file
    from web.settings import Settings

    specs = load_fleet_file(fleet_file)
    settings = Settings(host=host, port=port, data_dir=data_dir, fleet_file=fleet_file)
    if problem := admin_password_problem(settings):
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    drones = tuple(v.id for v in layout if v.kind == "multirotor")
    if onboard and not onboard_installed():
        typer.echo("onboard:   not started: the ROS 2 nodes are not installed (`make setup`)")
        onboard = False
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
                *(["--cameras"] if onboard and drones else []),
            ],
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        typer.echo(
            f"simulator: {vehicles} drones, {rovers} rovers on UDP {base_port}+ "
            f"(log {data_dir / 'sim.log'})"
        )
        typer.echo(f"console:   http://{host}:{port}/")
        onboard_drones = drones if onboard else ()
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_serve_with_onboard(
                    settings, specs, onboard_drones, camera_port(base_port, 0, len(layout))))
        finally:
            sim.terminate()
            try:
                sim.wait(timeout=5)
            except subprocess.TimeoutExpired:
                sim.kill()


def onboard_installed() -> bool:
    """The ROS 2 console scripts `scripts/build_ros.sh` installs next to this interpreter."""
    bin_dir = Path(sys.prefix) / "bin"
    return all((bin_dir / name).exists() for name in ("skywatch_detector", "skywatch_sim_bridge"))


async def _serve_with_onboard(settings: Settings, specs: Sequence[VehicleSpec],
                              drones: tuple[str, ...], first_camera_port: int) -> None:
    """The server, and once it listens (so that `admin` exists before any vehicle account),
    each drone's onboard nodes until the server stops."""
    from web.server import serve

    started = asyncio.Event()
    server = asyncio.create_task(serve(settings, specs, started))
    with contextlib.ExitStack() as nodes:
        waiting = asyncio.create_task(started.wait())
        await asyncio.wait({server, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if drones and started.is_set():
            nodes.enter_context(_onboard_nodes(settings, drones, first_camera_port))
        await server


@contextlib.contextmanager
def _onboard_nodes(settings: Settings, drones: tuple[str, ...],
                   first_camera_port: int) -> Iterator[None]:
    """Each drone's nodes, reading the simulator's cameras (`--cameras`; drone i on
    `first_camera_port + i`) and posting to this server as a `vehicle` account with a password
    made for this start."""
    from fleet.store.database import open_database, sqlite_url
    from skywatch.onboard import OnboardConfig, onboard_running, provision_credentials
    from web.auth.bootstrap import open_auth

    engine = open_database(sqlite_url(settings.data_dir))
    try:
        credentials = provision_credentials(open_auth(settings, engine), drones)
    finally:
        engine.dispose()
    config = OnboardConfig(
        vehicle_ids=drones,
        server_url=f"http://{_client_host(settings.host)}:{settings.port}",
        credentials=credentials,
        work_dir=settings.data_dir / "onboard",
        sim_camera_port=first_camera_port,
    )
    typer.echo(f"onboard:   {len(drones)} drones: camera bridge, detectors, geolocator, uplink "
               f"(logs in {config.work_dir})")
    with onboard_running(config, log=lambda text: typer.echo(f"onboard: {text}", err=True)):
        yield


def _client_host(listen_host: str) -> str:
    """Where a local client reaches a server listening on `listen_host`."""
    return "127.0.0.1" if listen_host in ("0.0.0.0", "::", "") else listen_host

"""`skywatch onboard`: run the onboard ROS 2 nodes of N simulated drones until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer

from skywatch.onboard import Onboard, OnboardConfig, VehicleCredential, load_credentials

CAMERAS = ("thermal", "rgb")


def register(app: typer.Typer) -> None:
    app.command("onboard")(onboard_command)


def onboard_command(
    vehicles: Annotated[int, typer.Option(min=1, max=100,
                                          help="Drones uav0..uav<N-1> (as `skywatch up`).")] = 4,
    cameras: Annotated[str, typer.Option(help="Detectors to run: thermal, rgb or both.")] = (
        "thermal,rgb"),
    server: Annotated[str | None, typer.Option(
        help="Ground server URL for the uplink, e.g. http://127.0.0.1:8000.")] = None,
    credentials: Annotated[Path | None, typer.Option(
        help="YAML: {vehicle id: {username, password}} of `vehicle` accounts.")] = None,
    model: Annotated[Path | None, typer.Option(
        help="YOLO-style ONNX model for the detectors instead of the shipped ones.")] = None,
    min_score: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.25,
    domain_id: Annotated[int | None, typer.Option(
        min=0, max=101, help="ROS_DOMAIN_ID (default: the environment's).")] = None,
    work_dir: Annotated[Path, typer.Option(help="Node logs and uplink outboxes.")] = Path(
        "data/onboard"),
    sim_camera_port: Annotated[int, typer.Option(
        min=0, max=65535, help="Camera port of uav0 on `skywatch sim --cameras` (uav<i>: "
                               "+i); 0: start no simulator camera bridges.")] = 14620,
) -> None:
    """Per drone: a detector per camera, the geolocator/tracker, and the uplink to --server."""
    wanted = tuple(c.strip() for c in cameras.split(",") if c.strip())
    if not wanted or any(c not in CAMERAS for c in wanted):
        _fail(f"--cameras: {cameras!r}: use thermal, rgb or thermal,rgb")
    if model is not None and not model.is_file():
        _fail(f"--model: {model} does not exist")
    if not (Path(sys.prefix) / "bin" / "skywatch_detector").exists():
        _fail("the ROS 2 nodes are not installed: run `make setup`")
    ids = tuple(f"uav{i}" for i in range(vehicles))
    creds: dict[str, VehicleCredential] = {}
    if server is not None:
        if credentials is None:
            _fail("--server needs --credentials (the vehicles' accounts)")
        try:
            creds = load_credentials(credentials)
        except (OSError, ValueError) as e:
            _fail(f"--credentials: {e}")
        if missing := [v for v in ids if v not in creds]:
            _fail(f"--credentials: {credentials} has no account for {', '.join(missing)}")
    if sim_camera_port and not (Path(sys.prefix) / "bin" / "skywatch_sim_bridge").exists():
        _fail("--sim-camera-port: the simulator camera bridge is not installed: run "
              "`make setup`, or pass --sim-camera-port 0")
    config = OnboardConfig(vehicle_ids=ids, cameras=wanted, server_url=server,
                           credentials=creds, model_path=model, min_score=min_score,
                           domain_id=domain_id, work_dir=work_dir,
                           sim_camera_port=sim_camera_port or None)
    onboard = Onboard(config, log=lambda text: typer.echo(f"onboard: {text}", err=True))

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    onboard.start()
    uplink = f"uplink to {server}" if server else "no uplink (no --server)"
    typer.echo(f"onboard: {len(ids)} vehicles, {len(onboard.specs)} nodes, {uplink}; logs in "
               f"{work_dir}", err=True)
    try:
        while True:
            onboard.supervise_once()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        onboard.stop()


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)

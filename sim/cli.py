"""`skywatch sim` (and `python -m sim`): run N simulated drones and M rovers speaking MAVLink.

Vehicle i (drones first, then rovers) has system id i+1, binds UDP 127.0.0.1:BASE+40+i and
sends MAVLink 2 to 127.0.0.1:BASE+i, like PX4 SITL instance i. With more than 40 vehicles the
vehicles bind BASE+N+i instead (PX4's layout would put vehicle 40 on vehicle 0's port).
Loudspeaker: MAV_CMD_USER_1 (31010) with param1 1 (on) / 0 (off).
With `--cameras`, drone i also serves its RGB and thermal frames on TCP 127.0.0.1:BASE+80+i
(`sim.frames_protocol`); they are rendered only while a client watches.
"""

from __future__ import annotations

import logging
import math
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.runner import Simulation, camera_port, vehicle_port
from sim.world import WorldError, load_world, parse_home, world_around_home

log = logging.getLogger("sim")

DEFAULT_HOME = "22.5431,114.0579"
DEFAULT_BASE_PORT = 14540
MAX_SPEEDUP = 10_000.0
MAX_CAMERA_RATE_HZ = 30.0


def run_sim(
    vehicles: Annotated[int | None, typer.Option(
        help="Multicopters (default 1, or every drone in --world).")] = None,
    rovers: Annotated[int | None, typer.Option(
        help="Ground rovers (default 0, or every rover in --world).")] = None,
    home: Annotated[str, typer.Option(help="LAT,LON[,ALT_AMSL_M] the vehicles start around.")]
    = DEFAULT_HOME,
    speedup: Annotated[float, typer.Option(help="Sim seconds per wall second.")] = 1.0,
    base_port: Annotated[int, typer.Option(
        help="Vehicle i sends to BASE+i and listens on BASE+40+i (BASE+N+i for N > 40).")]
    = DEFAULT_BASE_PORT,
    world: Annotated[Path | None, typer.Option(
        help="World YAML (skywatch.layout.world_document): vehicles start on their docks.")]
    = None,
    cameras: Annotated[bool, typer.Option(
        help="Serve each drone's RGB and thermal frames on TCP BASE+80+i.")] = False,
    camera_rate_hz: Annotated[float, typer.Option(
        help="Frames per sim second per camera (fewer if rendering cannot keep up).")] = 5.0,
) -> None:
    """Simulate drones and ground rovers that speak MAVLink like PX4 SITL instances."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        sim = _build(vehicles, rovers, home, speedup, base_port, world,
                     camera_rate_hz if cameras else None)
    except WorldError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except OSError as e:
        typer.echo(f"error: --base-port: cannot bind the vehicles' or cameras' ports: "
                   f"{e.strerror}", err=True)
        raise typer.Exit(2) from None

    def _stop(_signum: int, _frame: object) -> None:
        sim.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for ep in sim.endpoints:
        spec = sim.world.vehicles[ep.index]
        log.info("vehicle %d %s (%s) sysid %d: udp 127.0.0.1:%d -> 127.0.0.1:%d", ep.index,
                 spec.name, spec.kind, ep.sysid,
                 vehicle_port(base_port, ep.index, len(sim.endpoints)),
                 base_port + ep.index)
        if sim.cameras is not None and spec.kind == "multirotor":
            log.info("vehicle %d %s: camera frames on tcp 127.0.0.1:%d at %g Hz", ep.index,
                     spec.name, camera_port(base_port, ep.index, len(sim.endpoints)),
                     camera_rate_hz)
    log.info("running %d vehicles at %gx", len(sim.endpoints), speedup)
    try:
        stats = sim.run()
    finally:
        sim.close()
    log.info("stopped after %.1f sim s in %.1f wall s (%.1fx); %d malformed datagrams ignored",
             stats.sim_s, stats.wall_s, stats.achieved_speedup,
             sum(ep.rejected_datagrams for ep in sim.endpoints))


def _build(vehicles: int | None, rovers: int | None, home: str, speedup: float, base_port: int,
           world_file: Path | None, camera_rate_hz: float | None = None) -> Simulation:
    for name, value in (("--vehicles", vehicles), ("--rovers", rovers)):
        if value is not None and value < 0:
            raise WorldError(f"{name}: {value} is negative")
    if not (0.0 < speedup <= MAX_SPEEDUP):
        raise WorldError(f"--speedup: {speedup:g} is outside (0, {MAX_SPEEDUP:g}]")
    if camera_rate_hz is not None and not (0.0 < camera_rate_hz <= MAX_CAMERA_RATE_HZ):
        raise WorldError(f"--camera-rate-hz: {camera_rate_hz:g} is outside "
                         f"(0, {MAX_CAMERA_RATE_HZ:g}]")
    if world_file is not None:
        world = load_world(world_file, vehicles, rovers)
    else:
        world = world_around_home(parse_home(home), 1 if vehicles is None else vehicles,
                                  rovers or 0)
    n = len(world.vehicles)
    if n == 0:
        raise WorldError("--vehicles/--rovers: nothing to simulate (0 vehicles)")
    top = camera_port(base_port, n, n) if camera_rate_hz is not None else vehicle_port(
        base_port, n, n)
    if not (1024 <= base_port and top <= 65535):
        raise WorldError(f"--base-port: {base_port} leaves no room for {n} vehicles' ports")
    return Simulation(world, base_port=base_port, speedup=speedup, camera_rate_hz=camera_rate_hz)


def sim_frames(
    world: Annotated[Path, typer.Option(help="World YAML with the fires and people to look at.")],
    out: Annotated[Path, typer.Option(help="New or empty folder for the YOLO-format set.")],
    modality: Annotated[str, typer.Option(help="thermal or rgb.")] = "thermal",
    frames: Annotated[int, typer.Option(help="Views to render.")] = 200,
    seed: Annotated[int, typer.Option(help="Same seed, same views.")] = 0,
    at_s: Annotated[float, typer.Option(help="Sim time of the views (fires grow, scenario "
                                              "objects appear).")] = 0.0,
) -> None:
    """Render a world's fires and people from search heights into a YOLO-format set with
    simulator truth, for `skywatch eval` (see sim.frames_dataset)."""
    from sim.frames_dataset import write_dataset  # NumPy and the renderer: loaded on use

    try:
        if modality not in ("thermal", "rgb"):
            raise WorldError(f"--modality: {modality!r} is not thermal or rgb")
        if not 1 <= frames <= 100_000:
            raise WorldError(f"--frames: {frames} is outside 1..100000")
        if not (math.isfinite(at_s) and at_s >= 0):
            raise WorldError(f"--at-s: {at_s:g} is not a time from the start (>= 0)")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise WorldError(f"--out: {out} exists and is not an empty folder")
        w = load_world(world)
        with typer.progressbar(length=frames, label="rendering", file=sys.stderr) as bar:
            summary = write_dataset(w.scene_or_empty, out, modality,  # type: ignore[arg-type]
                                    frames=frames, seed=seed, t_s=at_s,
                                    wind_east_mps=w.wind.east_mps,
                                    wind_north_mps=w.wind.north_mps, cameras=w.cameras,
                                    on_frame=lambda: bar.update(1))
    except (WorldError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(f"cancelled: {out} holds an incomplete set", err=True)
        raise typer.Exit(130) from None
    boxes = ", ".join(f"{n} {label}" for label, n in summary.labels.items())
    typer.echo(f"wrote {summary.images} {modality} frames to {out}: {boxes} "
               f"({summary.ignored} too small to label, ignored)")


def register(app: typer.Typer) -> None:
    app.command("sim")(run_sim)
    app.command("sim-frames")(sim_frames)


def main() -> None:
    app = typer.Typer(add_completion=False)
    app.command()(run_sim)
    app(prog_name="python -m sim", args=sys.argv[1:])

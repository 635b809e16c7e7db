"""`skywatch eval --sim SCENARIO`: detection and geolocation scored against simulator truth.

An offline tool, so it may do what `perception/` must not: drive the simulator as a library.
The scenario's world is rendered by day and by night (`sim.frames_dataset`: views aimed at its
fires and people, and some at empty ground, from 60-120 m with the gimbal at -90 to -45
degrees), each thermal frame is searched with the radiometric detector as the onboard node
searches it, and `perception.sim_eval` scores boxes and ground positions against the truth the
renderer recorded.

SCENARIO is a world YAML file (`skywatch sim --world`), or `example` for the scene
`skywatch up` simulates (two fires, five people, a reservoir) around the default home.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from perception.sim_eval import DetectedSet, detect_sim_set
from sim.cli import DEFAULT_HOME
from sim.example_world import example_scene_document
from sim.frames_dataset import write_dataset
from sim.world import WorldError, load_world
from skywatch.layout import default_vehicles, world_document

EXAMPLE = "example"
#: The lighting conditions scored, as the world file's `ambient.daytime`.
LIGHTING: dict[str, bool] = {"day": True, "night": False}
#: Fires have been burning this long when the views are taken (grown from their start size).
AT_S = 60.0


def scenario_document(scenario: str) -> dict[str, Any]:
    """The world mapping of SCENARIO: `example`, or a world YAML file's content."""
    if scenario == EXAMPLE:
        lat_deg, lon_deg = (float(v) for v in DEFAULT_HOME.split(","))
        doc = world_document(default_vehicles(1, 0), lat_deg, lon_deg)
        doc.update(example_scene_document(lat_deg, lon_deg))
        return doc
    path = Path(scenario)
    if not path.is_file():
        raise WorldError(f"--sim: {scenario!r} is neither {EXAMPLE!r} nor a world file")
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise WorldError(f"--sim: {path}: {e}") from None
    if not isinstance(doc, dict):
        raise WorldError(f"--sim: {path}: expected a mapping at the top")
    return doc


def render_lighting(doc: dict[str, Any], daytime: bool, out: Path, *, views: int, seed: int,
                    on_frame: Callable[[], None] | None = None) -> Path:
    """Render `views` thermal frames of the world under one lighting into `out/frames`."""
    lit = dict(doc)
    lit["ambient"] = {**(doc.get("ambient") or {}), "daytime": daytime}
    out.mkdir(parents=True, exist_ok=True)
    world_file = out / "world.yaml"
    world_file.write_text(yaml.safe_dump(lit))
    world = load_world(world_file)
    frames = out / "frames"
    write_dataset(world.scene_or_empty, frames, "thermal", frames=views, seed=seed, t_s=AT_S,
                  wind_east_mps=world.wind.east_mps, wind_north_mps=world.wind.north_mps,
                  cameras=world.cameras, on_frame=on_frame)
    return frames


@contextmanager
def _workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="skywatch-eval-sim-") as tmp:
        yield Path(tmp)


def evaluate_scenario(scenario: str, *, views: int, seed: int, keep: Path | None = None,
                      on_step: Callable[[], None] | None = None) -> dict[str, DetectedSet]:
    """Render and search the scenario by day and by night; the searched sets by lighting.
    Each lighting gets its own seed (`seed`, `seed + 1`), so they show different views.
    `on_step` is called after each frame rendered and each frame searched."""
    doc = scenario_document(scenario)
    out: dict[str, DetectedSet] = {}
    with _workspace(keep) as root:
        for i, (name, daytime) in enumerate(LIGHTING.items()):
            frames = render_lighting(doc, daytime, root / name, views=views, seed=seed + i,
                                     on_frame=on_step)
            out[name] = detect_sim_set(frames, on_image=on_step)
    return out

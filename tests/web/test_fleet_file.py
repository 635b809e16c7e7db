"""Fleet files: the default layout round-trips; a bad file is refused naming field and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.model import VehicleKind
from skywatch.layout import default_vehicles, fleet_document
from web.fleet_file import FleetFileError, load_fleet_file

SKYWATCH = str(Path(sys.executable).with_name("skywatch"))


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_default_fleet_document_loads_with_docks_urls_and_capabilities(
    tmp_path: Path,
) -> None:
    document = fleet_document(default_vehicles(4, 1), 22.5431, 114.0579, base_port=14540)
    specs = load_fleet_file(_write(tmp_path, document))
    assert [s.id for s in specs] == ["uav0", "uav1", "uav2", "uav3", "ugv0"]
    assert specs[4].kind is VehicleKind.ROVER and specs[4].url == "udpin://0.0.0.0:14544"
    assert specs[1].capabilities == {"rgb", "thermal", "drop"}
    assert abs(specs[0].dock.lat_deg - 22.5431) < 0.01  # within ~1 km of home


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["vehicles"][0]["dock"].update(lat_deg=200), "vehicles.0.dock.lat_deg"),
        (lambda d: d["vehicles"][1].update(kind="boat"), "vehicles.1.kind"),
        (lambda d: d["vehicles"][0].pop("url"), "vehicles.0.url: Field required"),
        (lambda d: d["vehicles"].append(dict(d["vehicles"][0])), "'uav0' appears twice"),
        (lambda d: d.update(version=2), "version"),
    ],
)
def test_a_bad_fleet_file_names_the_field_and_the_reason(
    tmp_path: Path, change: object, message: str
) -> None:
    document = fleet_document(default_vehicles(2, 0), 22.5431, 114.0579, base_port=14540)
    change(document)  # type: ignore[operator]
    with pytest.raises(FleetFileError, match=message.replace(".", r"\.")):
        load_fleet_file(_write(tmp_path, document))


def test_serve_with_a_bad_fleet_file_exits_2_with_one_line(tmp_path: Path) -> None:
    document = fleet_document(default_vehicles(1, 0), 22.5431, 114.0579, base_port=14540)
    document["vehicles"][0]["dock"]["lon_deg"] = 500
    result = subprocess.run(
        [SKYWATCH, "serve", "--fleet", str(_write(tmp_path, document))],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "vehicles.0.dock.lon_deg" in lines[0], result.stderr


def test_serve_with_a_bad_port_exits_2_naming_it(tmp_path: Path) -> None:
    document = fleet_document(default_vehicles(1, 0), 22.5431, 114.0579, base_port=14540)
    result = subprocess.run(
        [SKYWATCH, "serve", "--fleet", str(_write(tmp_path, document)), "--port", "70000"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: port: Input should be less than or equal to 65535"
    ]

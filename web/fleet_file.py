"""Read a fleet file (YAML) into `VehicleSpec`s, refusing a bad one with field and reason.

```yaml
version: 1
vehicles:
  - id: uav0
    name: Fire 1
    kind: multirotor            # or rover
    department: fire
    url: udpin://0.0.0.0:14540  # any MAVSDK connection URL
    dock: {id: dock-uav0, lat_deg: 22.5395, lon_deg: 114.0491}
    capabilities: [rgb, thermal, loudspeaker]
    system_id: 1                # optional MAVLink system id (PX4 SITL instance i: i + 1)
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fleet.model import Dock, VehicleKind, VehicleSpec

FLEET_FILE_VERSION = 1


class FleetFileError(ValueError):
    """The file cannot be used; the message names the file, the field and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _DockEntry(_Strict):
    id: str = Field(min_length=1)
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)


class _VehicleEntry(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1)
    kind: Literal["multirotor", "rover"]
    department: str = Field(min_length=1)
    url: str = Field(min_length=1)
    dock: _DockEntry
    capabilities: list[str] = Field(default_factory=list)
    system_id: int | None = Field(default=None, ge=1, le=254)


class _FleetDocument(_Strict):
    version: Literal[1]
    vehicles: list[_VehicleEntry]

    @field_validator("vehicles")
    @classmethod
    def _unique_ids(cls, vehicles: list[_VehicleEntry]) -> list[_VehicleEntry]:
        seen: set[str] = set()
        for v in vehicles:
            if v.id in seen:
                raise ValueError(f"vehicle id {v.id!r} appears twice")
            seen.add(v.id)
        ids = [v.system_id for v in vehicles if v.system_id is not None]
        for sid in ids:
            if ids.count(sid) > 1:
                raise ValueError(f"system_id {sid} appears twice")
        return vehicles


def load_fleet_file(path: Path) -> list[VehicleSpec]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise FleetFileError(f"{path}: cannot read: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise FleetFileError(f"{path}: not valid YAML: {e}") from e
    try:
        document = _FleetDocument.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise FleetFileError(f"{path}: {field}: {first['msg']}") from e
    return [
        VehicleSpec(
            id=v.id,
            name=v.name,
            kind=VehicleKind(v.kind),
            department=v.department,
            url=v.url,
            dock=Dock(id=v.dock.id, lat_deg=v.dock.lat_deg, lon_deg=v.dock.lon_deg),
            capabilities=frozenset(v.capabilities),
            system_id=v.system_id,
        )
        for v in document.vehicles
    ]

"""What the vehicle API reads and writes: public views of vehicles and the command bodies.

Command bodies are a tagged union on `command` (STYLE.md rule 4) so that a bad body is refused
with the exact field and reason before anything reaches a vehicle; `to_domain` turns each into
the fleet's own `Command` value, naming the altitude datum the API leaves implicit (`alt_m` is
above home, as an operator means it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet import model


class HomePublic(BaseModel):
    lat: float
    lon: float
    alt_amsl_m: float


class DockPublic(BaseModel):
    id: str
    lat: float
    lon: float


class VehiclePublic(BaseModel):
    id: str
    name: str
    kind: str
    department: str
    capabilities: list[str]
    link: str
    armed: bool
    flight_mode: str
    lat: float | None
    lon: float | None
    alt_rel_m: float | None
    alt_amsl_m: float | None
    heading_deg: float | None
    speed_mps: float | None
    battery_pct: float | None
    landed_state: str
    home: HomePublic | None
    dock: DockPublic
    updated_at: datetime | None

    @classmethod
    def from_domain(cls, state: model.VehicleState) -> VehiclePublic:
        spec, t = state.spec, state.telemetry
        home = t.home if t is not None else None
        return cls(
            id=spec.id,
            name=spec.name,
            kind=spec.kind.value,
            department=spec.department,
            capabilities=sorted(spec.capabilities),
            link=state.link.value,
            armed=t.armed if t else False,
            flight_mode=t.flight_mode if t else "unknown",
            lat=t.lat_deg if t else None,
            lon=t.lon_deg if t else None,
            alt_rel_m=t.alt_rel_m if t else None,
            alt_amsl_m=t.alt_amsl_m if t else None,
            heading_deg=t.heading_deg if t else None,
            speed_mps=t.ground_speed_mps if t else None,
            battery_pct=t.battery_pct if t else None,
            landed_state=t.landed_state.value if t else model.LandedState.UNKNOWN.value,
            home=HomePublic(lat=home.lat_deg, lon=home.lon_deg, alt_amsl_m=home.alt_amsl_m)
            if home
            else None,
            dock=DockPublic(id=spec.dock.id, lat=spec.dock.lat_deg, lon=spec.dock.lon_deg),
            updated_at=state.updated_at,
        )


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArmBody(_Body):
    command: Literal["arm"]

    def to_domain(self) -> model.Command:
        return model.Arm()


class DisarmBody(_Body):
    command: Literal["disarm"]

    def to_domain(self) -> model.Command:
        return model.Disarm()


class TakeoffBody(_Body):
    command: Literal["takeoff"]
    alt_m: float = Field(gt=0, le=500, description="metres above home")

    def to_domain(self) -> model.Command:
        return model.Takeoff(alt_rel_m=self.alt_m)


class GotoBody(_Body):
    command: Literal["goto"]
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude, degrees")
    lon: float = Field(ge=-180, le=180, description="WGS84 longitude, degrees")
    alt_m: float = Field(gt=0, le=500, description="metres above home")

    def to_domain(self) -> model.Command:
        return model.Goto(lat_deg=self.lat, lon_deg=self.lon, alt_rel_m=self.alt_m)


class HoldBody(_Body):
    command: Literal["hold"]

    def to_domain(self) -> model.Command:
        return model.Hold()


class RtlBody(_Body):
    command: Literal["rtl"]

    def to_domain(self) -> model.Command:
        return model.ReturnToLaunch()


class LandBody(_Body):
    command: Literal["land"]

    def to_domain(self) -> model.Command:
        return model.Land()


class MissionStartBody(_Body):
    command: Literal["mission_start"]

    def to_domain(self) -> model.Command:
        return model.StartMission()


class MissionPauseBody(_Body):
    command: Literal["mission_pause"]

    def to_domain(self) -> model.Command:
        return model.PauseMission()


class PayloadReleaseBody(_Body):
    command: Literal["payload_release"]

    def to_domain(self) -> model.Command:
        return model.ReleasePayload()


class LoudspeakerBody(_Body):
    command: Literal["loudspeaker"]
    on: bool

    def to_domain(self) -> model.Command:
        return model.Loudspeaker(on=self.on)


class PhotoBody(_Body):
    command: Literal["photo"]

    def to_domain(self) -> model.Command:
        return model.TakePhoto()


CommandBody = Annotated[
    ArmBody
    | DisarmBody
    | TakeoffBody
    | GotoBody
    | HoldBody
    | RtlBody
    | LandBody
    | MissionStartBody
    | MissionPauseBody
    | PayloadReleaseBody
    | LoudspeakerBody
    | PhotoBody,
    Field(discriminator="command"),
]


class CommandOutcome(BaseModel):
    vehicle_id: str
    command: str
    ok: bool
    reason: str

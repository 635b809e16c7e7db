"""What `skywatch onboard` would start, without starting it: node command lines, credentials
from a file (errors name the entry), and vehicle accounts provisioned for `skywatch up`."""

from __future__ import annotations

from pathlib import Path

import pytest

from skywatch.onboard import (
    PASSWORD_ENV,
    OnboardConfig,
    VehicleCredential,
    load_credentials,
    node_specs,
    provision_credentials,
)
from web.auth.bootstrap import open_auth, open_store
from web.auth.roles import Role
from web.auth.service import SignInRefused
from web.settings import Settings


def test_each_vehicle_gets_its_detectors_geolocator_and_uplink_with_the_password_off_argv(
        tmp_path: Path) -> None:
    config = OnboardConfig(
        vehicle_ids=("uav0", "uav1"), server_url="http://127.0.0.1:8000",
        credentials={"uav1": VehicleCredential(username="bridge-uav1", password="s3cret pass")},
        min_score=0.4, work_dir=tmp_path)
    specs = {s.name: s for s in node_specs(config)}
    assert sorted(specs) == ["uav0/detector_rgb", "uav0/detector_thermal", "uav0/geolocator",
                             "uav1/detector_rgb", "uav1/detector_thermal", "uav1/geolocator",
                             "uav1/uplink"]  # no credential for uav0: no uplink for it
    thermal = specs["uav1/detector_thermal"].args
    assert thermal[0].endswith("/bin/skywatch_detector")
    assert thermal[1:] == ["--ros-args", "-r", "__ns:=/uav1", "-r",
                           "__node:=detector_thermal", "-p", "modality:=thermal",
                           "-p", "min_score:=0.4"]
    uplink = specs["uav1/uplink"]
    assert "s3cret pass" not in " ".join(uplink.args)
    assert uplink.extra_env == {PASSWORD_ENV: "s3cret pass"}
    assert f"outbox_path:={tmp_path / 'uplink-uav1.db'}" in uplink.args
    assert "s3cret" not in repr(config.credentials["uav1"])


def test_simulated_drones_get_a_camera_bridge_each_on_their_own_port() -> None:
    config = OnboardConfig(vehicle_ids=("uav0", "uav1", "uav2"), cameras=("thermal",),
                           sim_camera_port=14620)
    bridges = [s for s in node_specs(config) if s.name.endswith("/sim_bridge")]
    assert [(b.name, b.args[3], b.args[-3:]) for b in bridges] == [
        (f"uav{i}/sim_bridge", f"__ns:=/uav{i}", [f"port:={14620 + i}", "-p",
                                                  "streams:=thermal"]) for i in range(3)]


def test_a_credentials_file_names_the_entry_that_is_wrong(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("uav0: {username: bridge-uav0, password: 'one two three four'}\n")
    assert load_credentials(good) == {
        "uav0": VehicleCredential(username="bridge-uav0", password="one two three four")}
    bad = tmp_path / "bad.yaml"
    bad.write_text("uav0: {username: bridge-uav0}\n")
    with pytest.raises(ValueError, match="uav0: needs a username and a password"):
        load_credentials(bad)


def test_provisioned_accounts_sign_in_as_their_vehicle_and_renew_on_each_start(
        tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = open_store(settings)
    try:
        auth = open_auth(settings, engine)
        first = provision_credentials(auth, ["uav0", "uav1"])
        again = provision_credentials(auth, ["uav0"])
        assert first["uav0"].username == again["uav0"].username == "bridge-uav0"
        assert again["uav0"].password != first["uav0"].password
        tokens = auth.sign_in("bridge-uav0", again["uav0"].password, "127.0.0.1")
        principal = auth.principal(tokens.access_token)
        assert (principal.role, principal.vehicle_id) == (Role.VEHICLE, "uav0")
        with pytest.raises(SignInRefused):  # the old password went with the new start
            auth.sign_in("bridge-uav0", first["uav0"].password, "127.0.0.1")
    finally:
        engine.dispose()

"""The console in real headless Chromium against `skywatch serve` and the simulator.

Four drones and a rover at their docks (10x speed-up); the page is driven as an operator would:
select a drone in the list, arm, take off, send it somewhere by clicking the map.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from mission.formats.by_extension import WRITERS
from mission.items import ReturnToLaunch, Takeoff, Waypoint
from mission.plan import Plan
from skywatch.layout import (
    SHENZHEN_LAT_DEG,
    SHENZHEN_LON_DEG,
    default_vehicles,
    fleet_document,
    world_document,
)
from tests.sim_harness import start_sim

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SKYWATCH = str(Path(sys.executable).with_name("skywatch"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN_PASSWORD = "console test password 7731"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_connected(url: str, vehicles: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{url}/api/health", timeout=2).json()
            if last["vehicles_connected"] == vehicles:  # type: ignore[index]
                return
        except httpx.TransportError as e:
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"server not connected to {vehicles} vehicles: {last}")


class ConsoleServer:
    """`skywatch serve` as its own process, restartable on the same port and data directory."""

    def __init__(self, fleet: Path, data_dir: Path, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._args = [SKYWATCH, "serve", "--fleet", str(fleet), "--port", str(self.port),
                      "--data-dir", str(data_dir)]
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, vehicles: int) -> None:
        env = {**os.environ, "SKYWATCH_ADMIN_PASSWORD": ADMIN_PASSWORD}
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        _wait_until_connected(self.url, vehicles, timeout_s=60)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=15)
            self._process = None


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    tmp_path = tmp_path_factory.mktemp("console")
    vehicles = default_vehicles(4, 1)
    world = tmp_path / "world.yaml"  # every vehicle starts on its dock
    world.write_text(yaml.safe_dump(world_document(vehicles, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG)))
    with start_sim(tmp_path, vehicles=4, rovers=1, speedup=10.0, world=world) as sim:
        fleet = tmp_path / "fleet.yaml"
        fleet.write_text(yaml.safe_dump(fleet_document(
            vehicles, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG, base_port=sim.base_port
        )))
        server = ConsoleServer(fleet, tmp_path / "data", tmp_path / "server.log")
        server.start(vehicles=5)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def page(console: ConsoleServer) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        # English labels: this test reads them (test_console_workflows covers Chinese).
        page.add_init_script("localStorage.setItem('skywatch.locale', 'en')")
        page.goto(console.url)
        expect(page.get_by_test_id("sign-in")).to_be_visible()
        expect(page.get_by_test_id("map")).to_be_hidden()  # nothing shown before signing in
        page.get_by_test_id("input-username").fill("admin")
        page.get_by_test_id("input-password").fill("not the password")
        page.get_by_test_id("btn-sign-in").click()
        expect(page.get_by_test_id("sign-in-error")).to_have_text("Wrong user name or password")
        page.get_by_test_id("input-password").fill(ADMIN_PASSWORD)
        page.get_by_test_id("btn-sign-in").click()
        expect(page.get_by_test_id("user")).to_contain_text("admin")
        yield page
        browser.close()


def _marker(page: Page, vehicle_id: str) -> tuple[float, float]:
    element = page.locator(f'[data-testid="vehicle-marker-{vehicle_id}"]')
    return float(element.get_attribute("data-lat") or "nan"), float(
        element.get_attribute("data-lon") or "nan"
    )


def test_five_vehicles_appear_and_a_drone_takes_off_flies_where_clicked_and_lands(
    page: Page,
) -> None:
    markers = page.locator('[data-testid^="vehicle-marker-"]')
    expect(markers).to_have_count(5, timeout=20_000)
    expect(page.locator('[data-testid^="dock-"]')).to_have_count(5)
    expect(page.get_by_test_id("stream-status")).to_have_text("live")

    page.get_by_test_id("vehicle-item-uav0").click()
    expect(page.get_by_test_id("panel-name")).to_contain_text("uav0")
    expect(page.get_by_test_id("panel-link")).to_have_text("connected")
    start_lat, start_lon = _marker(page, "uav0")

    page.get_by_test_id("btn-arm").click()
    expect(page.get_by_test_id("confirm-arm-dialog")).to_contain_text("motors")
    page.get_by_test_id("confirm-arm-ok").click()  # arming is asked again
    expect(page.get_by_test_id("panel-armed")).to_have_text("armed", timeout=10_000)
    page.get_by_test_id("input-alt").fill("30")
    page.get_by_test_id("btn-takeoff").click()
    expect(page.get_by_test_id("command-status")).to_have_text("Take off: accepted")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=panel-alt]').dataset.value) > 25",
        timeout=30_000,
    )
    altitude_m = float(page.get_by_test_id("panel-alt").get_attribute("data-value") or "0")
    assert 25.0 < altitude_m < 35.0

    # Go here: 200 px east of the drone on the map.
    box = page.get_by_test_id("vehicle-marker-uav0").bounding_box()
    assert box is not None
    page.get_by_test_id("btn-goto").click()
    page.mouse.click(box["x"] + box["width"] / 2 + 200, box["y"] + box["height"] / 2)
    expect(page.get_by_test_id("command-status")).to_have_text("Go here: accepted")
    start_x = box["x"]
    page.wait_for_function(  # at least halfway there on screen
        f"""() => document.querySelector('[data-testid=vehicle-marker-uav0]')
                 .getBoundingClientRect().x > {start_x + 100}""",
        timeout=60_000,
    )
    lat, lon = _marker(page, "uav0")
    assert lon - start_lon > 0.0005 and abs(lat - start_lat) < 0.002  # flew east, 50+ m
    heading = float(page.get_by_test_id("vehicle-marker-uav0").get_attribute(
        "data-heading-deg") or "nan")
    assert 45.0 < heading < 135.0  # the icon points east while it flies there
    assert page.locator("path.leaflet-interactive").count() >= 5  # one trail per vehicle

    page.get_by_test_id("btn-land").click()
    page.keyboard.press("Enter")  # the confirmation has the focus
    expect(page.get_by_test_id("command-status")).to_have_text("Land: accepted")
    expect(page.get_by_test_id("panel-mode")).to_contain_text("land", timeout=10_000)
    page.wait_for_function(  # descending: 5 m below the 30 m it flew at
        "() => Number(document.querySelector('[data-testid=panel-alt]').dataset.value) < 25",
        timeout=30_000,
    )

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"))


def test_the_console_reconnects_after_a_server_restart_and_keeps_updating(
    page: Page, console: ConsoleServer
) -> None:
    """The console resumes with `since`; the restarted server numbers events above the old
    ones (its journal is on disk), so what happens after the restart reaches the page."""
    expect(page.locator('[data-testid^="vehicle-marker-"]')).to_have_count(5, timeout=20_000)
    expect(page.get_by_test_id("stream-status")).to_have_text("live")
    page.get_by_test_id("vehicle-item-uav1").click()
    expect(page.get_by_test_id("panel-armed")).to_have_text("disarmed")

    console.stop()
    expect(page.get_by_test_id("stream-status")).not_to_have_text("live", timeout=10_000)
    console.start(vehicles=5)
    expect(page.get_by_test_id("stream-status")).to_have_text("live", timeout=20_000)

    tokens = httpx.post(f"{console.url}/api/auth/token", timeout=10,
                        data={"username": "admin", "password": ADMIN_PASSWORD}).json()
    armed = httpx.post(f"{console.url}/api/vehicles/uav1/commands", json={"command": "arm"},
                       headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
    assert armed.status_code == 200, armed.text
    expect(page.get_by_test_id("panel-armed")).to_have_text("armed", timeout=10_000)
    expect(page.get_by_test_id("command-status")).to_have_text("Arm: accepted")


def test_a_plan_file_flown_by_a_chosen_drone_becomes_a_supervised_mission(
    page: Page, tmp_path: Path
) -> None:
    expect(page.locator('[data-testid^="vehicle-marker-"]')).to_have_count(5, timeout=20_000)
    page.get_by_test_id("vehicle-item-uav3").click()
    dock_lat, dock_lon = _marker(page, "uav3")
    north_lat = dock_lat + 200 / 111_000  # 200 m north of its dock
    plan = Plan(items=(Takeoff(lat_deg=dock_lat, lon_deg=dock_lon, alt_m=30.0),
                       Waypoint(lat_deg=north_lat, lon_deg=dock_lon, alt_m=30.0, hold_s=5.0),
                       ReturnToLaunch()))
    path = tmp_path / "patrol.plan"  # QGroundControl's format, as an operator would bring it
    path.write_bytes(WRITERS[".plan"](plan))

    page.get_by_test_id("plan-file").set_input_files(str(path))
    page.get_by_test_id("btn-fly-plan").click()
    expect(page.get_by_test_id("confirm-plan-dialog")).to_contain_text("patrol.plan")
    page.get_by_test_id("confirm-plan-ok").click()
    expect(page.get_by_test_id("command-status")).to_have_text(  # then the vehicle's answer
        re.compile(r"^(Mission m-\d+ started|Start mission: accepted)$"), timeout=15_000)
    row = page.locator('[data-testid^="timeline-task-"]:has-text("uav3")')
    expect(row).to_have_attribute("data-state", re.compile("^(transit|on_station|returning)$"),
                                  timeout=40_000)
    page.wait_for_function(  # flying north toward the waypoint: 50 m or more from its dock
        f"() => Number(document.querySelector('[data-testid=vehicle-marker-uav3]').dataset.lat)"
        f" > {dock_lat + 50 / 111_000}", timeout=40_000)
    lat, lon = _marker(page, "uav3")
    assert abs(lon - dock_lon) < 0.0005  # straight north, within 50 m east-west

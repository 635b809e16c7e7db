"""The console's modules in real headless Chromium, served by the real server.

Every module loads (a syntax error or a missing export fails here, not in front of an operator);
the area drawing tool produces the GeoJSON the incident API takes, closed and in [lon, lat]
order, by mouse and keyboard, with an area that agrees with `mission.geodesy`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright
from shapely.geometry import shape

from mission.geodesy import polygon_area_m2
from tests.web.server_harness import RunningServer

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "web" / "console" / "static"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: console.js starts the console when loaded; the others only define things.
LIBRARY_MODULES = sorted(p.name for p in STATIC.glob("*.js") if p.name != "console.js")


@pytest.fixture
async def page(empty_fleet_server: RunningServer) -> AsyncIterator[Page]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(f"{empty_fleet_server.http_url}/api/health")
        yield page
        await browser.close()


async def test_every_console_module_loads(page: Page) -> None:
    assert len(LIBRARY_MODULES) >= 12
    failures = await page.evaluate("""async (names) => {
      const failed = {};
      for (const name of names) {
        try { await import(`/static/${name}`); } catch (e) { failed[name] = String(e); }
      }
      return failed;
    }""", LIBRARY_MODULES)
    assert failures == {}


async def test_an_area_drawn_by_clicks_is_a_closed_lon_lat_polygon_of_the_right_size(
    page: Page,
) -> None:
    await page.evaluate("""async () => {
      document.body.innerHTML = '<div id="m" style="width:800px;height:600px"></div>';
      const L = await import('/static/vendor/leaflet/leaflet-src.esm.js');
      const { PlaceTool, areaM2 } = await import('/static/place-tool.js');
      window.map = L.map('m').setView([22.5431, 114.0579], 16);
      window.places = [];
      window.modes = [];
      window.tool = new PlaceTool(map, { onChange: (p) => places.push(p),
                                         onMode: (m) => modes.push(m) });
      window.areaM2 = areaM2;
      tool.start('area');
    }""")
    box = await page.locator("#m").bounding_box()
    assert box is not None
    corners = [(200, 150), (600, 150), (600, 450), (200, 450)]
    for x, y in corners:
        await page.mouse.click(box["x"] + x, box["y"] + y)
    await page.mouse.click(box["x"] + 300, box["y"] + 300)  # a fifth corner, taken back:
    await page.keyboard.press("Backspace")
    await page.mouse.click(box["x"] + 203, box["y"] + 148)  # near the first corner: closes
    place = await page.evaluate("places[places.length - 1]")
    assert place["kind"] == "area"
    ring = place["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert 114.0 < ring[0][0] < 114.1 and 22.5 < ring[0][1] < 22.6  # [lon, lat]
    expected_m2 = polygon_area_m2(shape(place["geometry"]))
    drawn_m2 = await page.evaluate("areaM2(places[places.length - 1].latlngs)")
    assert abs(drawn_m2 - expected_m2) / expected_m2 < 0.005
    # 400 x 300 px at zoom 16 and 22.5° N (2.21 m/px): 883 m x 662 m = 0.58 km².
    assert 560_000 < expected_m2 < 610_000
    assert await page.evaluate("modes") == ["area", None]
    assert await page.evaluate("tool.active()") is False

    await page.evaluate("tool.start('area')")  # Enter closes from the keyboard too
    for x, y in corners[:3]:
        await page.mouse.click(box["x"] + x, box["y"] + y)
    await page.keyboard.press("Enter")
    triangle = await page.evaluate("places[places.length - 1]")
    assert len(triangle["geometry"]["coordinates"][0]) == 4

    await page.evaluate("tool.start('point')")
    await page.mouse.click(box["x"] + 400, box["y"] + 300)
    point = await page.evaluate("places[places.length - 1]")
    centre = await page.evaluate("map.getCenter()")
    assert point["geometry"]["type"] == "Point"
    lon, lat = point["geometry"]["coordinates"]
    assert abs(lon - centre["lng"]) < 1e-4 and abs(lat - centre["lat"]) < 1e-4

    await page.evaluate("tool.start('area')")
    await page.mouse.click(box["x"] + 100, box["y"] + 100)
    await page.keyboard.press("Escape")  # cancels drawing; the point chosen before stays
    assert await page.evaluate("tool.active()") is False
    assert (await page.evaluate("tool.place"))["kind"] == "point"


async def test_a_tracked_fire_is_drawn_once_where_it_was_last_seen_and_alarms_once(
    page: Page,
) -> None:
    await page.evaluate("""async () => {
      document.body.innerHTML =
        '<div id="m" style="width:800px;height:600px"></div><section id="a"></section>';
      const L = await import('/static/vendor/leaflet/leaflet-src.esm.js');
      await (await import('/static/i18n.js')).initLocale();
      const { OperationsLayers } = await import('/static/layers.js');
      const { AlarmPanel } = await import('/static/alarms.js');
      window.map = L.map('m').setView([22.5431, 114.0579], 17);
      window.layers = new OperationsLayers(map);
      window.alarms = new AlarmPanel(document.getElementById('a'));
      const seen = { type: 'object', object_id: 'uav0/3', vehicle_id: 'uav0', label: 'fire',
        lat_deg: 22.5431, lon_deg: 114.0579, sigma_major_m: 6.0, sigma_minor_m: 3.0,
        confidence: 0.82 };
      for (const event of [seen, { ...seen, lat_deg: 22.5432, sigma_major_m: 2.5 }]) {
        layers.showObject(event);
        alarms.handleEvent(event);
      }
      layers.showObject({ ...seen, object_id: 'uav0/4', label: 'smoke' });
      alarms.handleEvent({ ...seen, object_id: 'uav0/4', label: 'smoke' });
    }""")
    assert await page.locator('[data-testid="object-uav0/3"]').count() == 1
    assert await page.locator('[data-testid="object-uav0/4"]').count() == 1
    drawn = await page.evaluate("""() => {
      const circles = [];
      layers.detections.eachLayer((l) => { if (l.getRadius) circles.push(
        { lat: l.getLatLng().lat, radius: l.getRadius() }); });
      return circles;
    }""")
    assert {"lat": 22.5432, "radius": 2.5} in drawn  # moved and tightened, not duplicated
    assert len(drawn) == 2
    texts = await page.locator(".alarm").all_inner_texts()
    assert len(texts) == 1 and "uav0：发现火点（82%）" in texts[0]  # smoke raises no alarm

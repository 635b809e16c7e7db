"""The console's layout, keyboard use, roles and settings, in real headless Chromium.

Readable on a 1366x768 laptop (no sideways scrolling, the map keeps most of the screen) and on
a control-room wall (the type grows with the screen); usable from the keyboard; a read-only
role is not offered the controls the server would refuse it; "dispatch at once" skips the
preview and is remembered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Browser, Page

from tests.web.auth_helpers import signed_in, token_of
from tests.web.server_harness import RunningServer
from web.auth.roles import Department, Role

pytestmark = pytest.mark.browser

OpenConsole = Callable[[Role, int, int], Awaitable[Page]]


@pytest.fixture
def open_console(empty_fleet_server: RunningServer, browser: Browser) -> OpenConsole:
    """The console signed in as a new user of `role`, at a viewport of `width` x `height`."""

    async def open_as(role: Role, width: int, height: int) -> Page:
        token = token_of(signed_in(empty_fleet_server, role=role, departments=[Department.FIRE]))
        page = await browser.new_page(viewport={"width": width, "height": height})
        await page.add_init_script(  # the session a sign-in leaves in this tab
            "sessionStorage.setItem('skywatch.session', JSON.stringify("
            f"{{access: '{token}', refresh: '', expiresAt: Date.now() + 3600e3}}))")
        await page.goto(empty_fleet_server.http_url)
        await page.get_by_test_id("map").wait_for(state="visible")
        await page.locator('#incidents h2:text-is("事件")').wait_for()
        return page

    return open_as


async def _box(page: Page, selector: str) -> dict[str, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


async def test_on_a_laptop_nothing_scrolls_sideways_and_the_map_keeps_most_of_the_screen(
    open_console: OpenConsole,
) -> None:
    page = await open_console(Role.FIRE_OPERATOR, 1366, 768)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1366
    rem_px = await page.evaluate(
        "parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert 12.5 <= rem_px <= 14.5
    map_box = await _box(page, "#map")
    assert map_box["width"] >= 650 and map_box["height"] >= 700
    for testid in ("language", "btn-sign-out", "stream-status", "incident-preview"):
        box = await _box(page, f'[data-testid="{testid}"]')
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, testid
    assert await page.get_by_test_id("incident-form").is_visible()


async def test_on_a_wall_the_type_and_the_map_grow_with_the_screen(
    open_console: OpenConsole,
) -> None:
    page = await open_console(Role.COMMANDER, 3840, 2160)
    rem_px = await page.evaluate(
        "parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert rem_px >= 24.0  # legible from across a control room
    assert (await _box(page, "#map"))["width"] >= 2200
    heading = await _box(page, "#incidents h2")
    assert heading["height"] >= 30.0
    assert await page.evaluate("document.documentElement.scrollWidth") <= 3840


async def test_the_incident_form_works_from_the_keyboard(open_console: OpenConsole) -> None:
    page = await open_console(Role.FIRE_OPERATOR, 1366, 768)
    reached: list[str | None] = []
    for _ in range(8):  # from the top of the page: the language switch, then the form
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("document.activeElement.dataset.testid"))
    assert "language" in reached and "incident-type" in reached
    assert reached.index("language") < reached.index("incident-type")

    await page.get_by_test_id("incident-vehicles").focus()
    await page.keyboard.press("Enter")  # submits the form: no place chosen yet
    status = page.get_by_test_id("incident-status")
    assert await status.inner_text() == "请先在地图上选择位置"
    assert await status.get_attribute("class") == "status error"

    await page.get_by_test_id("incident-pick-point").focus()
    await page.keyboard.press("Enter")
    assert await status.inner_text() == "在地图上点击事件位置"
    assert "map-hint" in (await page.get_by_test_id("map").get_attribute("class") or "")
    await page.keyboard.press("Escape")
    assert await status.inner_text() == ""
    assert "map-hint" not in (await page.get_by_test_id("map").get_attribute("class") or "")


async def test_a_read_only_analyst_is_not_offered_commands_or_incident_reports(
    open_console: OpenConsole,
) -> None:
    page = await open_console(Role.ANALYST, 1366, 768)
    assert await page.get_by_test_id("user").inner_text() != ""
    assert not await page.get_by_test_id("incident-form").is_visible()
    assert await page.locator("#incidents").is_visible()  # reading is allowed
    assert await page.locator("#missions").is_visible()


async def test_with_dispatch_at_once_ticked_an_incident_is_reported_without_a_preview(
    open_console: OpenConsole,
) -> None:
    page = await open_console(Role.FIRE_OPERATOR, 1366, 768)
    await page.get_by_test_id("incident-auto").check()
    assert await page.get_by_test_id("incident-preview").inner_text() == "立即调度"
    await page.get_by_test_id("incident-pick-point").click()
    box = await _box(page, "#map")
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.get_by_test_id("incident-preview").click()

    item = page.locator('[data-testid^="incident-item-"]')
    await item.first.wait_for()
    assert await page.get_by_test_id("proposal").is_hidden()  # no preview step
    assert await item.first.get_attribute("data-state") == "new"  # no vehicle in this fleet
    alarm = page.locator('.alarm[data-key^="incident:"]')
    await alarm.wait_for()  # the incident's event came back over /ws
    assert "优先级 2" in await alarm.inner_text()

    await page.reload()  # the choice is remembered
    await page.get_by_test_id("incident-auto").wait_for()
    assert await page.get_by_test_id("incident-auto").is_checked()
    await alarm.wait_for()  # still no vehicle for it: alarmed again after the reload


async def test_an_area_too_large_to_search_is_refused_with_the_field_and_the_reason(
    open_console: OpenConsole,
) -> None:
    page = await open_console(Role.FIRE_OPERATOR, 1366, 768)
    await page.get_by_test_id("incident-type").select_option("person_search")
    await page.get_by_test_id("incident-draw-area").click()
    box = await _box(page, "#map")
    for dx, dy in [(-200, -150), (200, -150), (200, 150), (-200, 150)]:  # km across at zoom 13
        await page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    await page.keyboard.press("Enter")
    await page.get_by_test_id("incident-preview").click()
    status = page.get_by_test_id("incident-status")
    await page.locator('[data-testid="incident-status"].error').wait_for()
    text = await status.inner_text()
    assert text.startswith("预览调度：geometry: area ") and "km²" in text
    assert await page.get_by_test_id("proposal").is_hidden()
    assert await page.locator('[data-testid^="incident-item-"]').count() == 0  # nothing stored

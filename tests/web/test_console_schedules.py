"""The console's patrol schedules, in real headless Chromium against the real server: each
schedule's next run and, highlighted, the runs it missed while the server was down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.web.auth_helpers import PASSWORD, signed_in
from tests.web.server_harness import RunningServer
from web.auth.roles import Role

pytestmark = pytest.mark.browser

ZONE = "Asia/Shanghai"  #: the browser's time zone: times are shown in the operator's own
MISSED_BACKGROUND = "rgb(255, 235, 238)"
RESERVOIR_PATROL = {"type": "reservoir_patrol", "priority": 4, "geometry": {
    "type": "Polygon", "coordinates": [[[114.05, 22.54], [114.06, 22.54], [114.06, 22.55],
                                        [114.05, 22.54]]]}}


def clock(at: datetime) -> str:
    """The time of day the console shows for `at` in the browser's zone."""
    return at.astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")


async def test_a_schedules_missed_runs_are_counted_highlighted_and_dated_in_both_languages(
    empty_fleet_server: RunningServer, browser: Browser,
) -> None:
    server = empty_fleet_server
    inspector = signed_in(server, Role.WATER_INSPECTOR, username="inspector-wang")
    # First due two and a half hours ago, hourly: when the scheduler next looks, the slots of
    # 2.5 h and 1.5 h ago have passed without a run (the server was down) and 0.5 h ago runs.
    first = (datetime.now(UTC) - timedelta(hours=2, minutes=30)).replace(microsecond=0)
    async with httpx.AsyncClient(base_url=server.http_url, headers=inspector) as client:
        created = await client.post("/api/schedules", json={
            "name": "水库巡逻", "period_s": 3600, "incident": RESERVOIR_PATROL,
            "first_run_at": first.isoformat()})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]

    page = await browser.new_page(viewport={"width": 1366, "height": 768}, timezone_id=ZONE)
    await page.goto(server.http_url)
    await page.get_by_test_id("input-username").fill("inspector-wang")
    await page.get_by_test_id("input-password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    item = page.get_by_test_id(f"schedule-item-{sid}")
    await expect(item).to_have_attribute("data-missed", "0", timeout=30_000)  # argon2 sign-in
    await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("#schedules h2")).to_have_text("巡逻计划")
    await expect(item).to_contain_text("水库巡逻 · 每 1小时")
    await expect(page.get_by_test_id(f"schedule-missed-{sid}")).to_have_text("无漏执行")
    await expect(page.get_by_test_id(f"schedule-next-{sid}")).to_contain_text(clock(first))
    assert await item.evaluate("e => getComputedStyle(e).backgroundColor") != MISSED_BACKGROUND

    # The scheduler's pass: two slots reported missed, the newest run. The console hears the
    # `schedule` events and shows the count without a reload.
    await server.app.state.supervisor.scheduler.step(datetime.now(UTC))
    await expect(item).to_have_attribute("data-missed", "2", timeout=10_000)
    missed = page.get_by_test_id(f"schedule-missed-{sid}")
    last_missed = first + timedelta(hours=1)
    await expect(missed).to_contain_text("漏执行 2 次，最近一次")
    await expect(missed).to_contain_text(clock(last_missed))
    await expect(page.get_by_test_id(f"schedule-next-{sid}")).to_contain_text(
        clock(first + timedelta(hours=3)))
    await expect(item).to_have_css("background-color", MISSED_BACKGROUND)
    await expect(missed).to_have_css("color", "rgb(179, 38, 30)")

    await page.get_by_test_id("language").select_option("en")
    await expect(page.locator("#schedules h2")).to_have_text("Patrol schedules")
    await expect(missed).to_contain_text("2 missed runs, last")
    await expect(missed).to_contain_text(clock(last_missed))
    await expect(page.get_by_test_id(f"schedule-next-{sid}")).to_contain_text("next run")

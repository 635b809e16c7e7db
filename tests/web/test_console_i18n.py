"""The console's languages, formats, confirmation dialog and alarm panel.

The catalogues are checked as files (same keys and placeholders in every language, every key the
code and page use exists); the modules are exercised in real headless Chromium against the real
server, which serves them exactly as it serves them to an operator.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.web.server_harness import RunningServer

STATIC = Path(__file__).resolve().parents[2] / "web" / "console" / "static"
LOCALES = ("zh-CN", "en")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]


def _catalogue(locale: str) -> dict[str, object]:
    messages: dict[str, object] = json.loads((STATIC / "messages" / f"{locale}.json").read_text())
    return messages


def _placeholders(message: object) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", str(text))}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    zh, en = (_catalogue(locale) for locale in LOCALES)
    assert sorted(zh) == sorted(en)
    for key, text in en.items():
        assert _placeholders(zh[key]) == _placeholders(text), key
    untranslated = [k for k, v in zh.items() if isinstance(v, str) and re.fullmatch(
        r"[A-Za-z ,.:'()-]{4,}", v) and v == en[k]]
    assert untranslated == []  # Chinese text, not English left in the Chinese catalogue


def test_every_message_key_the_console_uses_exists() -> None:
    messages = _catalogue("en")
    used: set[str] = set()
    for path in STATIC.glob("*.js"):
        source = path.read_text()
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", source))
        used |= set(re.findall(r"data-i18n(?:-[a-z-]+)?=\"([a-z0-9_.]+)\"", source))
    for path in STATIC.glob("*.html"):
        used |= set(re.findall(r"data-i18n(?:-[a-z-]+)?=\"([a-z0-9_.]+)\"", path.read_text()))
    assert len(used) > 60  # the scan finds the keys at all
    assert sorted(used - set(messages)) == []


@pytest.fixture
async def page(empty_fleet_server: RunningServer) -> AsyncIterator[Page]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(f"{empty_fleet_server.http_url}/api/health")
        yield page
        await browser.close()


@pytest.mark.browser
async def test_chinese_by_default_english_on_request_and_the_choice_is_remembered(
    page: Page,
) -> None:
    formats = """async () => {
      const i18n = await import('/static/i18n.js');
      await i18n.initLocale();
      return {
        locale: i18n.currentLocale(), lang: document.documentElement.lang,
        linkLost: i18n.t('link.lost'), speed: i18n.formatQuantity(5.25, 'mps', 1),
        distance: i18n.formatDistance(1234), near: i18n.formatDistance(56.4),
        battery: i18n.formatQuantity(87, 'pct'), eta: i18n.formatDuration(74),
        time: i18n.formatTime('2026-11-25T08:05:09Z'),
        shortfall: i18n.t('proposal.shortfall', { count: 2 }),
        missing: i18n.t('no.such.key'), mode: i18n.tValue('mode', 'return_to_launch'),
        unknownMode: i18n.tValue('mode', 'brand_new_mode'),
      };
    }"""
    zh = await page.evaluate(formats)
    assert zh["locale"] == "zh-CN" and zh["lang"] == "zh-CN"
    assert zh["linkLost"] == "已断开" and zh["mode"] == "返航"
    assert zh["distance"] == "1.2公里" and zh["near"] == "56米"
    assert zh["speed"] == "5.3 m/s" and zh["battery"] == "87%"
    assert zh["eta"] == "1分钟 14秒"
    assert zh["shortfall"] == "缺少 2 台载具"
    assert zh["missing"] == "no.such.key" and zh["unknownMode"] == "brand_new_mode"
    assert re.fullmatch(r"\d\d:05:09", zh["time"])  # 24 h clock in the browser's zone

    await page.evaluate("async () => (await import('/static/i18n.js')).setLocale('en')")
    await page.reload()
    en = await page.evaluate(formats)
    assert en["locale"] == "en" and en["lang"] == "en"
    assert en["linkLost"] == "lost" and en["mode"] == "return to launch"
    assert en["distance"] == "1.2 km" and en["near"] == "56 m"
    assert en["eta"] == "1 min 14 sec"
    assert en["shortfall"] == "2 vehicles short"
    assert en["time"].endswith(":05:09")


@pytest.mark.browser
async def test_a_confirmation_is_given_with_enter_and_refused_with_escape(page: Page) -> None:
    open_dialog = """async () => {
      await (await import('/static/i18n.js')).initLocale();
      const { confirmDialog } = await import('/static/dialog.js');
      window.answer = confirmDialog({ title: 'Arm uav0?', body: 'motors start', danger: true });
    }"""
    await page.evaluate(open_dialog)
    dialog = page.get_by_test_id("confirm-dialog")
    assert await dialog.is_visible()
    assert await page.evaluate("document.activeElement.dataset.testid") == "confirm-ok"
    assert await page.get_by_test_id("confirm-cancel").inner_text() == "取消"
    await page.keyboard.press("Enter")
    assert await page.evaluate("window.answer") is True
    assert await dialog.count() == 0

    await page.evaluate(open_dialog)
    await page.keyboard.press("Escape")
    assert await page.evaluate("window.answer") is False
    await page.evaluate(open_dialog)
    await page.get_by_test_id("confirm-cancel").click()
    assert await page.evaluate("window.answer") is False


@pytest.mark.browser
async def test_a_lost_link_raises_one_alarm_with_a_beep_until_it_is_acknowledged(
    page: Page,
) -> None:
    await page.evaluate("""async () => {
      await (await import('/static/i18n.js')).initLocale();
      const { AlarmPanel } = await import('/static/alarms.js');
      const box = document.createElement('section');
      document.body.append(box);
      window.panel = new AlarmPanel(box, { vehicleName: (id) => id.toUpperCase() });
      const lost = { type: 'vehicle', vehicle_id: 'uav1', link: 'lost', t: '2026-11-25T08:00:00Z' };
      panel.handleEvent(lost);
      panel.handleEvent({ ...lost, seq: 2 });           // the same condition again: no new alarm
      for (const battery_pct of [40, 24.4, 23.9, 24.8]) // crosses 25 % once
        panel.handleEvent({ type: 'telemetry', vehicle_id: 'uav0', battery_pct });
      panel.handleEvent({ type: 'telemetry', vehicle_id: 'uav0', battery_pct: null });
    }""")
    items = page.locator('[data-testid="alarm-list"] > li')
    assert await items.count() == 2
    texts = await items.all_inner_texts()
    assert "UAV0：电量低（24%）" in texts[0] and "UAV1：链路中断" in texts[1]
    panel = page.locator(".alarm-panel")
    assert await panel.get_attribute("data-unacknowledged") == "2"
    assert await panel.get_attribute("data-beeps") == "2"  # a warning tone, a critical one
    assert await page.get_by_test_id("alarm-count").inner_text() == "2 条未确认"

    await page.locator('[data-key="link:uav1"] .ack').click()
    assert await panel.get_attribute("data-unacknowledged") == "1"
    assert await page.locator('[data-key="link:uav1"]').get_attribute("class") == (
        "alarm severity-critical acknowledged")
    await page.evaluate("""async () => {
      panel.handleEvent({ type: 'vehicle', vehicle_id: 'uav1', link: 'connected' });
      await (await import('/static/i18n.js')).setLocale('en');
    }""")
    assert await page.locator('[data-key="link-back:uav1"]').inner_text() != ""
    texts = await items.all_inner_texts()
    assert "UAV1: link back" in texts[0]
    assert await page.get_by_test_id("alarm-count").inner_text() == "2 unacknowledged"
    assert await panel.get_attribute("data-beeps") == "2"  # info: silent
    await page.get_by_test_id("alarm-ack-all").click()
    assert await panel.get_attribute("data-unacknowledged") == "0"

"""The web page's monitor panel in headless Chromium: streams and alerts that a monitor wrote
(its status file and alert log, written by the monitor's own code) show up on the page.

Needs Debian's chromium + chromium-driver (apt); skipped with the reason when they are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import serve_app

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.monitor import Alert, FileSink, Match
from avas.monitor.state import ALERT_LOG, StreamStatus, state_dir_for, write_status
from avas.service import Service
from graph_schema import TimeSpan

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
uvicorn = pytest.importorskip("uvicorn", reason="pip install uvicorn")

from selenium.webdriver import Chrome  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    service = Service(Settings(home=tmp_path / "home"))
    state_dir = state_dir_for(service.settings)
    write_status(
        state_dir,
        [
            StreamStatus(
                name="door",
                uri="udp://127.0.0.1:5000",
                video_id="door",
                state="running",
                connected=False,
                lag_s=1.25,
                events=12,
                events_per_min=4.0,
                alerts=1,
                reconnects=2,
                restarts=0,
                dropped_frames=0,
                last_error="no packets for 10 s",
                gaps=[],
            )
        ],
        interval_s=600,  # fresh for the whole test
    )
    FileSink(state_dir / ALERT_LOG).send(
        Alert(
            rule_id="intruder",
            rule_description="someone holds an INTRUDER sign",
            stream="door",
            uri="udp://127.0.0.1:5000",
            video_id="door",
            event_id="door/ev/16000-24000",
            span=TimeSpan(start_ms=16_000, end_ms=24_000),
            matched=[Match(kind="text", value="INTRUDER", condition="INTRUDER")],
        )
    )
    with serve_app(create_app(service, ApiSettings())) as url:
        yield url
    service.close()


def test_monitor_panel_lists_streams_and_alerts(browser: Chrome, base_url: str) -> None:
    browser.get(base_url)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#streams li"))
    panel = browser.find_element(By.ID, "monitor")
    assert panel.get_attribute("hidden") is None
    panel.find_element(By.TAG_NAME, "summary").click()
    summary = browser.find_element(By.ID, "monitor-summary").text
    assert summary == "0/1 streams connected, 1 recent alerts", summary
    (stream,) = browser.find_elements(By.CSS_SELECTOR, "#streams li")
    assert "door: running (disconnected)" in stream.text and "2 reconnects" in stream.text
    assert "no packets for 10 s" in stream.text and "down" in (stream.get_attribute("class") or "")
    (alert,) = browser.find_elements(By.CSS_SELECTOR, "#alerts li")
    assert alert.text == "0:16–0:24 door: someone holds an INTRUDER sign", alert.text

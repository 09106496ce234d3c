"""The web page in headless Chromium: pick the video, ask, click a cited span, the player seeks.

Needs Debian's chromium + chromium-driver (apt); skipped with the reason when they are absent.
The screenshot lands in tmp_path and in artifacts/ at the repository root (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import serve_app

from avas.interfaces.api import ApiSettings, create_app
from avas.media.sample import SampleManifest
from avas.pipeline import IngestReport
from avas.service import Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
QUESTION = "What did the speaker say about the budget?"

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
uvicorn = pytest.importorskip("uvicorn", reason="pip install uvicorn")

from selenium.webdriver import Chrome  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def base_url(service: Service, ingested: IngestReport, sample: SampleManifest) -> Iterator[str]:
    api = ApiSettings(media_roots=[Path(sample.path).parent])
    with serve_app(create_app(service, api)) as url:
        yield url


def _current_time(driver: Chrome) -> float:
    seconds: float = driver.execute_script("return document.getElementById('player').currentTime")
    return seconds


def test_ask_and_seek_to_a_citation(
    browser: Chrome, base_url: str, tmp_path: Path, sample: SampleManifest
) -> None:
    driver = browser
    wait = WebDriverWait(driver, 60)
    driver.get(base_url)

    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#video-picker option[value='short']"))
    Select(driver.find_element(By.ID, "video-picker")).select_by_value("short")
    wait.until(
        lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1
    )
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .segment"))

    driver.find_element(By.ID, "question").send_keys(QUESTION)
    driver.find_element(By.ID, "ask").click()
    chip = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".a.answered .chip.citation"))
    answer = driver.find_element(By.CSS_SELECTOR, ".a.answered .text").text
    assert "budget" in answer.lower(), answer
    assert chip.get_attribute("data-video") == "short"
    start_s = int(chip.get_attribute("data-start") or -1) / 1000
    end_s = int(chip.get_attribute("data-end") or -1) / 1000
    assert start_s > 1, "pick a citation the player must seek to"

    chip.click()
    wait.until(lambda d: start_s - 1 <= _current_time(d) <= end_s + 1)
    now = _current_time(driver)
    assert start_s - 1 <= now <= end_s + 1, (now, start_s, end_s)

    # The timeline filter narrows the event list to the budget scene.
    filter_box = driver.find_element(By.ID, "filter")
    filter_box.send_keys("budget")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .segment.hit"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#event-list li")
    assert rows and all("budget" in r.text.lower() for r in rows)

    # The search box lists moments; clicking one seeks the player into its span.
    driver.find_element(By.ID, "search").send_keys("HARBOR BRIDGE\n")
    moment = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#moments li.moment"))
    (harbor,) = [f for f in sample.texts() if "HARBOR" in f.text]
    moment.click()
    wait.until(
        lambda d: harbor.span.start_ms / 1000 - 1 <= _current_time(d) <= harbor.span.end_ms / 1000
    )

    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors

    shot = tmp_path / "browser-answer.png"
    assert driver.save_screenshot(str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)

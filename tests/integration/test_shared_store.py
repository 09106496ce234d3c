"""Every process sees one store: a video ingested by `avas ingest` in another process, while an
API (and its store) is open in this one, is listed and answerable; removed by `avas videos rm`,
it is a 404 (never a 500)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.service import Service

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]
DEADLINE_S = 30.0  # generous: the store looks for other processes' commits every 0.5 s


@pytest.fixture(scope="module")
def harbor(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    spec = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=8_000,
                background="blue",
                text="HARBOR BRIDGE",
                speech=[SpeechSpec(offset_ms=1_000, text="The harbor bridge opens at noon.")],
            )
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("shared") / "harbor.mp4", spec)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    service = Service(Settings(home=home))
    service.store.videos()  # the store is open and loaded before anything is ingested
    # (TestClient calls the app in-process; the Host is one the API allows by default)
    app = create_app(service, ApiSettings())
    with TestClient(app, base_url="http://localhost") as test_client:
        yield test_client
    service.close()


def _avas(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AVAS_HOME": str(home)}
    return subprocess.run(
        [*AVAS, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _poll(probe: Callable[[], int], want: int) -> int:
    end = time.monotonic() + DEADLINE_S
    while (got := probe()) != want and time.monotonic() < end:
        time.sleep(0.2)
    return got


def test_cli_ingest_and_removal_reach_a_running_api(
    client: TestClient, home: Path, harbor: SampleManifest
) -> None:
    assert client.get("/videos/harbor").status_code == 404

    done = _avas(home, "ingest", harbor.path, "--name", "harbor", "--json")
    assert done.returncode == 0, done.stderr

    assert _poll(lambda: client.get("/videos/harbor").status_code, 200) == 200
    assert "harbor" in [v["id"] for v in client.get("/videos").json()]
    events = client.get("/videos/harbor/events").json()
    assert events
    body = {"question": "When does the harbor bridge open?", "video_id": "harbor"}
    answer = client.post("/ask", params={"stream": "false"}, json=body)
    assert answer.status_code == 200, answer.text
    cited = answer.json()["citations"]
    assert cited and cited[0]["video_id"] == "harbor"
    assert "noon" in " ".join(c["text"] for c in cited).lower(), cited

    removed = _avas(home, "videos", "rm", "harbor")
    assert removed.returncode == 0, removed.stderr

    assert _poll(lambda: client.get("/videos/harbor").status_code, 404) == 404
    assert client.get("/videos/harbor/events").status_code == 404
    assert "harbor" not in [v["id"] for v in client.get("/videos").json()]
    again = client.post("/ask", params={"stream": "false"}, json=body)
    assert again.status_code == 404, again.text
    search = client.get("/search", params={"q": "harbor bridge noon"})
    assert search.status_code == 200 and search.json() == [], search.text

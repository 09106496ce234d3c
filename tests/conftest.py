"""Shared fixtures: one generated sample video, ingested once per test session into a fresh store.

The media are generated here (ffmpeg + espeak-ng), so the suite needs nothing from ../shared.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avas.config import Settings
from avas.media.sample import SampleManifest, make_sample_video, short_spec
from avas.pipeline import IngestReport
from avas.service import Service


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    """~60 s: four scenes, each with one on-screen text and one spoken sentence."""
    return make_sample_video(tmp_path_factory.mktemp("media") / "short.mp4", short_spec())


@pytest.fixture(scope="session")
def avas_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("avas-home")


@pytest.fixture(scope="session")
def service(avas_home: Path) -> Iterator[Service]:
    svc = Service(Settings(home=avas_home))
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def ingested(service: Service, sample: SampleManifest) -> IngestReport:
    return service.ingest(Path(sample.path), name="short")


@pytest.fixture(scope="session")
def agent(service: Service, ingested: IngestReport) -> Any:
    from agents.graph import build_agent
    from agents.tools import Toolkit
    from avas.retrieval.hybrid import HybridRetriever

    tools = Toolkit(service.store, HybridRetriever(service.store, service.embedder))
    return build_agent(tools, min_dense=service.settings.agent.min_dense_score)


@pytest.fixture
def cli_env(avas_home: Path) -> dict[str, str]:
    """Environment for running the `avas` console script against the session's store."""
    return {**os.environ, "AVAS_HOME": str(avas_home), "NO_COLOR": "1", "COLUMNS": "200"}

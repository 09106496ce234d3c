"""Ingest with a VLM captioner behind a local OpenAI-compatible server (a stand-in for vLLM).

The server is real HTTP on 127.0.0.1 and refuses requests a real server would refuse; only its
answer is canned, because no VLM weights can run here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion, chat_problem

from avas.config import PerceptionSettings, Settings
from avas.media.sample import SampleManifest
from avas.service import Service

CAPTION = {
    "caption": "A worker in a red jacket carries a cardboard box past a sign.",
    "entities": [
        {"name": "worker", "type": "person", "attributes": ["red jacket"]},
        {"name": "box", "type": "object", "attributes": ["cardboard"]},
    ],
    "actions": ["carries box"],
    "relations": [{"subject": "worker", "predicate": "carries", "object": "box"}],
    "visible_text": [],
}


def _vlm_problem(req: Request) -> str | None:
    return chat_problem(req, model="test-vlm", with_images=True)


@pytest.fixture(scope="module")
def vlm() -> Iterator[OpenAIStub]:
    with OpenAIStub(lambda req: Reply(200, chat_completion(CAPTION)), check=_vlm_problem) as stub:
        yield stub


def test_ingest_with_vlm_captions(vlm: OpenAIStub, sample: SampleManifest, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        perception=PerceptionSettings(
            captioner="openai", captioner_url=vlm.v1, captioner_model="test-vlm"
        ),
    )
    service = Service(settings)
    try:
        report = service.ingest(Path(sample.path), name="vlm")
        assert len(vlm.bodies) == report.events  # one caption per event
        assert all(_vlm_problem(r) is None for r in vlm.requests)
        event = service.store.events("vlm")[0]
        assert event.description.startswith("A worker in a red jacket carries")
        assert "openai-compatible/test-vlm" in event.observers
        stats = service.store.stats()
        assert stats.observers["openai-compatible/test-vlm"] == report.events
        assert stats.edges["RELATES_TO"] == 1  # the same relation, merged across events
        details = service.store.event_details(event.id)
        kinds = {e.kind.value for e in details.entities}
        assert {"person", "object", "text"} <= kinds
        # The OCR text still stands beside the caption: observations are not replaced.
        assert details.texts
    finally:
        service.close()


def test_unreachable_vlm_fails_loudly(sample: SampleManifest, tmp_path: Path) -> None:
    from avas.errors import DependencyError

    settings = Settings(
        home=tmp_path,
        perception=PerceptionSettings(
            captioner="openai",
            captioner_url="http://127.0.0.1:9/v1",
            captioner_model="test-vlm",
            captioner_timeout_s=1,
        ),
    )
    service = Service(settings)
    try:
        with pytest.raises(DependencyError, match=re.escape("127.0.0.1:9")):
            service.ingest(Path(sample.path), name="novlm")
        # The first event failed, so nothing of it is stored.
        assert service.store.events("novlm") == []
    finally:
        service.close()

"""Ingest with a VLM captioner behind a local OpenAI-compatible server (a stand-in for vLLM).

The server is real HTTP on 127.0.0.1 and refuses requests a real server would refuse; only its
answer is canned, because no VLM weights can run here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

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


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        images = [
            part
            for msg in body.get("messages", [])
            if isinstance(msg.get("content"), list)
            for part in msg["content"]
            if part.get("type") == "image_url"
        ]
        ok = (
            self.path == "/v1/chat/completions"
            and body.get("model") == "test-vlm"
            and images
            and all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in images)
            and body.get("response_format", {}).get("type") == "json_schema"
        )
        type(self).requests.append(body)
        reply: dict[str, Any] = (
            {"choices": [{"message": {"role": "assistant", "content": json.dumps(CAPTION)}}]}
            if ok
            else {"error": {"message": "malformed request"}}
        )
        data = json.dumps(reply).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def vlm_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_ingest_with_vlm_captions(vlm_url: str, sample: SampleManifest, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        perception=PerceptionSettings(
            captioner="openai", captioner_url=vlm_url, captioner_model="test-vlm"
        ),
    )
    service = Service(settings)
    try:
        report = service.ingest(Path(sample.path), name="vlm")
        assert len(_Handler.requests) == report.events  # one caption per event
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

"""OpenAICompatibleCaptioner against a real local HTTP server that checks requests like vLLM would.

The server rejects (HTTP 400) any request a real OpenAI-compatible server would reject or that
breaks our contract (missing images, non-JPEG data URIs, oversized images, no JSON schema), so a
broken client fails here rather than in production.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pytest
from openai_stub import OpenAIStub, Reply, Request, Responder, Slow, chat_completion, error_body

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.perception.captioner_base import (
    CaptionEntity,
    CaptionRelation,
    StructuredCaption,
    caption_json_schema,
    describe_caption,
)
from avas.perception.captioner_openai import CaptionError, OpenAICompatibleCaptioner

MODEL = "test-vlm"
CANNED = {
    "caption": "A worker carries a box past a sign reading LOADING DOCK B.",
    "entities": [
        {"name": "worker", "type": "person", "attributes": ["red jacket"]},
        {"name": "box", "type": "object", "attributes": ["cardboard"]},
    ],
    "actions": ["carries box"],
    "relations": [{"subject": "worker", "predicate": "carries", "object": "box"}],
    "visible_text": ["LOADING DOCK B"],
}
CAPTION_KEYS = {"caption", "entities", "actions", "relations", "visible_text"}


@dataclass
class Script:
    """What the server expects; the images it decoded from each request, in order."""

    api_key: str | None = None
    form: str = "json_schema"
    max_side_px: int = 512
    max_images: int = 4
    images: list[list[np.ndarray]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Fake:
    def __init__(self, stub: OpenAIStub, script: Script) -> None:
        self.stub, self.script = stub, script
        self.url = stub.url

    def captioner(self, **kw: Any) -> OpenAICompatibleCaptioner:
        kw.setdefault("backoff_s", 0.01)
        kw.setdefault("timeout_s", 5)
        kw.setdefault("api_key", self.script.api_key)
        kw.setdefault("response_format", self.script.form)
        kw.setdefault("max_side_px", self.script.max_side_px)
        kw.setdefault("max_images", self.script.max_images)
        return OpenAICompatibleCaptioner(self.url, MODEL, **kw)


def _check(req: Request, s: Script) -> tuple[str | None, list[Any]]:
    """None when the request is one a real server accepts and our contract demands, else why not."""
    if req.path != "/v1/chat/completions":
        return f"unknown path {req.path}", []
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        return "content type must be application/json", []
    auth = req.headers.get("Authorization")
    if s.api_key is not None and auth != f"Bearer {s.api_key}":
        return f"bad Authorization header {auth!r}", []
    if s.api_key is None and auth is not None:
        return "unexpected Authorization header", []
    body = req.body
    if not isinstance(body, dict) or body.get("model") != MODEL:
        return "model missing or wrong", []
    if body.get("temperature") != 0:
        return "temperature must be 0", []
    msgs = body.get("messages")
    if not isinstance(msgs, list) or [m.get("role") for m in msgs] != ["system", "user"]:
        return "messages must be [system, user]", []
    system = msgs[0].get("content")
    if not isinstance(system, str) or "JSON" not in system:
        return "system prompt must be text asking for JSON", []
    parts = msgs[1].get("content")
    if not isinstance(parts, list) or not parts or parts[0].get("type") != "text":
        return "user content must be a list of parts starting with text", []
    if not isinstance(parts[0].get("text"), str) or not parts[0]["text"]:
        return "text part is empty", []
    image_parts = parts[1:]
    if not 1 <= len(image_parts) <= s.max_images:
        return f"{len(image_parts)} images, expected 1..{s.max_images}", []
    images = []
    for p in image_parts:
        url = p.get("image_url", {}).get("url", "") if p.get("type") == "image_url" else ""
        prefix = "data:image/jpeg;base64,"
        if not url.startswith(prefix):
            return "image part must be a JPEG data URI", []
        raw = base64.b64decode(url[len(prefix) :], validate=True)
        if raw[:2] != b"\xff\xd8":
            return "data URI is not a JPEG", []
        img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return "JPEG does not decode", []
        if max(img.shape[:2]) > s.max_side_px:
            return f"image {img.shape[:2]} larger than {s.max_side_px}px", []
        images.append(img)
    fmt = body.get("response_format", {})
    if s.form == "json_schema":
        spec = fmt.get("json_schema", {})
        if (
            fmt.get("type") != "json_schema"
            or spec.get("strict") is not True
            or not spec.get("name")
        ):
            return f"bad json_schema response_format {fmt}", []
        schema = spec.get("schema")
    else:
        if fmt.get("type") != "json_object":
            return f"bad json_object response_format {fmt}", []
        schema = fmt.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return "response_format carries no object schema", []
    if set(schema.get("required", [])) != CAPTION_KEYS or schema.get("additionalProperties"):
        return "schema must require all caption keys and forbid others", []
    if "$ref" in json.dumps(schema):
        return "schema must be self-contained", []
    return None, images


def _completion(content: str) -> dict[str, Any]:
    return chat_completion(content, model=MODEL)


def _contract(s: Script) -> Any:
    def check(req: Request) -> str | None:
        why, images = _check(req, s)
        with s.lock:
            s.images.append(images)
        return why

    return check


def failure(status: int) -> Reply:
    return Reply(status, error_body("scripted failure"))


def content(text: str) -> Reply:
    return Reply(200, _completion(text))


def echo(delay_s: float) -> Responder:
    """An answer after ``delay_s`` whose caption names the batch given in the context."""

    def respond(req: Request) -> Reply:
        batch = re.search(r"batch (\d+)", req.body["messages"][1]["content"][0]["text"])
        assert batch is not None
        return Reply(200, _completion(json.dumps({**CANNED, "caption": batch[0]})), delay_s)

    return respond


def _canned(req: Request) -> Reply:
    return content(json.dumps(CANNED))


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[Fake]:
    script = getattr(request, "param", None) or Script()
    with OpenAIStub(_canned, check=_contract(script)) as stub:
        yield Fake(stub, script)


def _frame(i: int, h: int = 720, w: int = 1280) -> RGBImage:
    """A coloured frame with text; its green level encodes i so the server can tell frames apart."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:] = (220, min(255, 20 * i), 0)
    cv2.putText(rgb, f"FRAME {i}", (40, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
    return rgb


@pytest.mark.parametrize(
    "fake",
    [Script(api_key="sk-test", form="json_schema"), Script(api_key=None, form="json_object")],
    indirect=True,
    ids=["json_schema+key", "json_object+nokey"],
)
def test_captions_parsed_and_request_is_well_formed(fake: Fake) -> None:
    with fake.captioner() as cap:
        result = cap.caption([_frame(i) for i in range(10)], context="sign: LOADING DOCK B")
    assert cap.model_id == f"openai-compatible/{MODEL}"
    assert result == StructuredCaption.model_validate(CANNED)
    assert result.entities[0] == CaptionEntity(
        name="worker", type="person", attributes=["red jacket"]
    )
    assert result.relations == [
        CaptionRelation(subject="worker", predicate="carries", object="box")
    ]
    assert result.visible_text == ["LOADING DOCK B"]
    assert len(fake.stub.bodies) == 1
    assert "LOADING DOCK B" in fake.stub.bodies[0]["messages"][1]["content"][0]["text"]
    images = fake.script.images[0]
    # 10 frames -> 4 spread evenly (0, 3, 6, 9), downscaled 1280x720 -> 512x288, sent as RGB.
    assert [img.shape for img in images] == [(288, 512, 3)] * 4
    corner = [img[5:20, 5:20].reshape(-1, 3).mean(axis=0) for img in images]  # BGR after decode
    assert [round(c[1] / 20) for c in corner] == [0, 3, 6, 9]
    assert all(c[2] > 200 and c[0] < 30 for c in corner)  # red stays red: RGB->BGR was done


def test_base_url_with_v1_suffix_and_small_frames_are_kept(fake: Fake) -> None:
    cap = OpenAICompatibleCaptioner(fake.url + "/v1/", MODEL, backoff_s=0.01)
    cap.caption([_frame(0, h=120, w=160)])
    assert fake.script.images[0][0].shape == (120, 160, 3)


def test_server_errors_are_retried(fake: Fake) -> None:
    fake.stub.queue(failure(500), failure(503))
    result = fake.captioner(retries=2).caption([_frame(1)])
    assert result.caption == CANNED["caption"]
    assert len(fake.stub.bodies) == 3


def test_rate_limit_is_retried(fake: Fake) -> None:
    fake.stub.queue(failure(429))
    assert fake.captioner(retries=1).caption([_frame(1)]).actions == ["carries box"]
    assert len(fake.stub.bodies) == 2


def test_persistent_server_error_names_url_and_status(fake: Fake) -> None:
    fake.stub.queue(*[failure(500)] * 5)
    with pytest.raises(DependencyError, match=re.escape(fake.url)) as err:
        fake.captioner(retries=2).caption([_frame(1)])
    assert "HTTP 500" in str(err.value)
    assert len(fake.stub.bodies) == 3


def test_client_error_is_not_retried(fake: Fake) -> None:
    fake.stub.queue(*[failure(404)] * 3)
    with pytest.raises(DependencyError, match="HTTP 404"):
        fake.captioner(retries=2).caption([_frame(1)])
    assert len(fake.stub.bodies) == 1


@pytest.mark.parametrize("fake", [Script(api_key="sk-right")], indirect=True)
def test_rejected_request_surfaces_server_message(fake: Fake) -> None:
    with pytest.raises(DependencyError, match="bad Authorization header"):
        fake.captioner(api_key="sk-wrong").caption([_frame(1)])


def test_timeout_raises_after_retries(fake: Fake) -> None:
    fake.stub.queue(Slow(1.5), Slow(1.5))
    with pytest.raises(DependencyError, match="Timeout") as err:
        fake.captioner(timeout_s=0.5, retries=1).caption([_frame(1)])
    assert fake.url in str(err.value)
    assert not isinstance(err.value, CaptionError)
    assert len(fake.stub.bodies) == 2


def test_unreachable_server_raises_dependency_error() -> None:
    cap = OpenAICompatibleCaptioner("http://127.0.0.1:9", MODEL, retries=1, backoff_s=0.01)
    with pytest.raises(DependencyError, match=re.escape("http://127.0.0.1:9/v1/chat/completions")):
        cap.caption([_frame(1)])


def test_malformed_json_gets_one_retry_then_clear_error(fake: Fake) -> None:
    fake.stub.queue(*[content("The frames show a worker {")] * 5)
    with pytest.raises(CaptionError, match="invalid JSON") as err:
        fake.captioner(retries=3).caption([_frame(1)])
    assert "The frames show a worker" in str(err.value)
    assert len(fake.stub.bodies) == 2  # one retry for bad output, not all three


def test_malformed_json_once_then_valid_succeeds(fake: Fake) -> None:
    fake.stub.queue(content("not json"))
    assert fake.captioner(retries=1).caption([_frame(1)]).caption == CANNED["caption"]


def test_json_missing_fields_is_a_caption_error(fake: Fake) -> None:
    fake.stub.queue(*[content(json.dumps({"entities": []}))] * 2)
    with pytest.raises(CaptionError, match="not a valid caption"):
        fake.captioner(retries=2).caption([_frame(1)])


def test_fenced_json_is_accepted(fake: Fake) -> None:
    fake.stub.queue(content("```json\n" + json.dumps(CANNED, indent=2) + "\n```"))
    assert fake.captioner(retries=0).caption([_frame(1)]).visible_text == ["LOADING DOCK B"]
    assert len(fake.stub.bodies) == 1


def test_caption_many_keeps_input_order_under_concurrency(fake: Fake) -> None:
    # Later batches answer faster, so completion order is the reverse of input order.
    n = 8
    fake.stub.queue(*[echo(0.2 * (n - i)) for i in range(n)])  # long enough to overlap
    batches = [[_frame(i, h=90, w=160)] for i in range(n)]
    results = fake.captioner().caption_many(
        batches, contexts=[f"batch {i}" for i in range(n)], max_concurrency=3
    )
    assert [r.caption for r in results] == [f"batch {i}" for i in range(n)]
    assert 2 <= fake.stub.max_inflight <= 3


def test_schema_is_strict_and_self_contained() -> None:
    schema = caption_json_schema()

    def objects(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for v in node.values():
                yield from objects(v)
        elif isinstance(node, list):
            for v in node:
                yield from objects(v)

    found = list(objects(schema))
    assert len(found) == 3  # caption, entity, relation
    for obj in found:
        assert obj["additionalProperties"] is False
        assert set(obj["required"]) == set(obj["properties"])
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema


def test_describe_caption_reads_as_one_paragraph() -> None:
    text = describe_caption(StructuredCaption.model_validate(CANNED))
    assert text == (
        "A worker carries a box past a sign reading LOADING DOCK B. "
        "Seen: worker (person, red jacket); box (object, cardboard). Actions: carries box. "
        "Relations: worker carries box. Visible text: “LOADING DOCK B”."
    )
    assert describe_caption(StructuredCaption(caption="Empty room")) == "Empty room."

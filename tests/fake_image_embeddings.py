"""A fake-but-contract-true image embeddings server (vLLM's /v1/embeddings) on 127.0.0.1.

    script = Script(); stub = serve(script)   # an OpenAIStub; stub.url: http://127.0.0.1:PORT
    stub.queue(FAIL, SLOW, bad_count(script))  # the next three requests: 500, slow, two vectors

It decodes each data-URI image and answers with the image's mean colour as a vector (texts:
colour words, and things of a known colour such as "ocean", map to the same directions), so a
test passes only if the real frame travelled, and a red frame really is near "tomato".
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from openai_stub import OpenAIStub, Reply, Request, Responder, Slow, error_body

MODEL = "test-clip"


def colour_vector(rgb: np.ndarray) -> list[float]:
    """Mean colour minus its grey level: red, green and blue frames point different ways."""
    mean = rgb.reshape(-1, 3).mean(axis=0) / 255.0
    chroma = mean - mean.mean()
    return [float(x) for x in chroma] + [0.05]


@dataclass
class Script:
    """The images the server decoded, in the order it got them."""

    images: list[np.ndarray] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


FAIL = Reply(500, error_body("engine crashed"))
SLOW = Slow(1.5)


def _decode_data_uri(url: str) -> np.ndarray | None:
    prefix = "data:image/jpeg;base64,"
    if not url.startswith(prefix):
        return None
    buf = np.frombuffer(base64.b64decode(url[len(prefix) :]), np.uint8)
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def answer(body: dict[str, Any], script: Script) -> tuple[int, Any]:
    """What a vLLM-like embeddings server answers: (status, JSON body)."""
    if not isinstance(body, dict):
        return 400, {"error": "body is not a JSON object"}
    if body.get("model") != MODEL:
        return 404, {"error": f"model {body.get('model')!r} not served"}
    if body.get("encoding_format", "float") != "float":
        return 400, {"error": "only float encoding"}
    if "messages" in body:
        (message,) = body["messages"]  # one conversation per request
        parts = message["content"]
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        if message.get("role") != "user" or len(urls) != 1:
            return 400, {"error": "want one user message with one image"}
        rgb = _decode_data_uri(urls[0])
        if rgb is None:
            return 400, {"error": "image_url must be a JPEG data URI"}
        with script.lock:
            script.images.append(rgb)
        vectors = [colour_vector(rgb)]
    elif isinstance(body.get("input"), list) and all(isinstance(t, str) for t in body["input"]):
        vectors = [text_vector(t) for t in body["input"]]
    else:
        return 400, {"error": "need messages or a list of strings as input"}
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    # Out of order on purpose: clients must sort by index.
    return 200, {"object": "list", "model": MODEL, "data": data[::-1]}


COLOUR_WORDS = {
    "red": [2 / 3, -1 / 3, -1 / 3],
    "green": [-1 / 3, 2 / 3, -1 / 3],
    "blue": [-1 / 3, -1 / 3, 2 / 3],
    # What an image-text model knows and a caption does not say:
    "ocean": [-1 / 3, -1 / 3, 2 / 3],
    "tomato": [2 / 3, -1 / 3, -1 / 3],
    "meadow": [-1 / 3, 2 / 3, -1 / 3],
}


def text_vector(text: str) -> list[float]:
    for word, vec in COLOUR_WORDS.items():
        if word in text.lower():
            return [*vec, 0.05]
    return [0.0, 0.0, 0.0, 1.0]  # nothing visual: far from every frame


def _route(req: Request) -> str | None:
    return None if req.path == "/v1/embeddings" else f"no route {req.path}"


def serve(script: Script) -> OpenAIStub:
    def respond(req: Request) -> Reply:
        return Reply(*answer(req.body, script))

    return OpenAIStub(respond, check=_route)


def bad_count(script: Script) -> Responder:
    """A queued answer that sends every vector twice."""

    def respond(req: Request) -> Reply:
        status, out = answer(req.body, script)
        out["data"] = out["data"] * 2
        return Reply(status, out)

    return respond

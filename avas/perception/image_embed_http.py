"""Frame and query embeddings from an OpenAI-compatible /v1/embeddings endpoint (vLLM and alike).

    embedder = HTTPImageEmbedder("http://localhost:8002/v1", "TIGER-Lab/VLM2Vec-Full")
    vectors = embedder.embed_images([frame.rgb])  # one POST per image, chat-style `messages`

vLLM serves a multimodal embedding model (``vllm serve TIGER-Lab/VLM2Vec-Full --task embed``)
with the chat form of the embeddings request: ``messages`` holding the image as a data-URI
``image_url`` part beside a short text prompt, one conversation (so one image) per request.
Texts go in the plain form, ``input: [...]``, all in one request. Transport errors, timeouts,
429 and 5xx are retried with backoff; other 4xx fail at once; every error names the URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.perception.captioner_openai import _jpeg_data_uri
from avas.perception.image_embed_base import unit_rows

log = logging.getLogger(__name__)


class HTTPImageEmbedder:
    """Thread-safe (one pooled httpx client); nothing touches the network before a request."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        image_prompt: str = "Represent the given image.",
        max_side_px: int = 448,
        jpeg_quality: int = 90,
        timeout_s: float = 30,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        if retries < 0 or timeout_s <= 0 or max_side_px < 16:
            raise ValueError("need retries >= 0, timeout_s > 0 and max_side_px >= 16")
        # Accept both "http://host:8000" and the OpenAI-SDK style "http://host:8000/v1".
        root = base_url.rstrip("/").removesuffix("/v1")
        self.url = f"{root}/v1/embeddings"
        self.model = model
        self.model_id = f"openai-embed:{model}"
        self.dim = 0
        self.image_prompt = image_prompt
        self.max_side_px = max_side_px
        self.jpeg_quality = jpeg_quality
        self.retries = retries
        self.backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def close(self) -> None:
        self._client.close()

    def embed_images(self, frames: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        rows = []
        for rgb in frames:
            try:
                uri = _jpeg_data_uri(rgb, self.max_side_px, self.jpeg_quality)
            except ValueError as exc:
                raise ValueError(f"cannot embed a frame with {self.url}: {exc}") from exc
            content: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": uri}}]
            if self.image_prompt:
                content.append({"type": "text", "text": self.image_prompt})
            body = {
                "model": self.model,
                "messages": [{"role": "user", "content": content}],
                "encoding_format": "float",
            }
            rows += self._post(body, expect=1)
        return self._matrix(rows)

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        texts = list(texts)
        if not texts:
            return self._matrix([])
        body = {"model": self.model, "input": texts, "encoding_format": "float"}
        return self._matrix(self._post(body, expect=len(texts)))

    # -- internals ---------------------------------------------------------------------------

    def _matrix(self, rows: list[list[float]]) -> npt.NDArray[np.float32]:
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return unit_rows(rows)

    def _post(self, body: dict[str, Any], *, expect: int) -> list[list[float]]:
        attempts = 1 + self.retries
        last = "no attempt made"
        for attempt in range(attempts):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "image embedding request to %s failed (%s); retry %d/%d in %.1fs",
                    self.url, last, attempt, self.retries, delay,
                )  # fmt: skip
                time.sleep(delay)
            try:
                resp = self._client.post(self.url, json=body)
            except httpx.TransportError as exc:  # connect errors, timeouts, dropped connections
                last = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}: {_snippet(resp.text)}"
                continue
            if resp.status_code >= 400:  # the request itself is wrong: retrying cannot help
                raise DependencyError(
                    f"image embedding server {self.url} rejected the request for model "
                    f"{self.model!r}: HTTP {resp.status_code}: {_snippet(resp.text)}"
                )
            return self._parse(resp, expect)
        raise DependencyError(
            f"image embedding server {self.url} failed after {attempts} attempt(s); "
            f"last error: {last}"
        )

    def _parse(self, resp: httpx.Response, expect: int) -> list[list[float]]:
        try:
            data = sorted(resp.json()["data"], key=lambda d: int(d.get("index", 0)))
            rows = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DependencyError(
                f"image embedding server {self.url} sent no embeddings "
                f"({type(exc).__name__}): {_snippet(resp.text)}"
            ) from exc
        dims = {len(r) for r in rows}
        if len(rows) != expect or len(dims) != 1 or 0 in dims:
            raise DependencyError(
                f"image embedding server {self.url} sent {len(rows)} embedding(s) of sizes "
                f"{sorted(dims)} for {expect} input(s)"
            )
        (dim,) = dims
        if self.dim and dim != self.dim:
            raise DependencyError(
                f"image embedding server {self.url} changed its vector size from {self.dim} to "
                f"{dim}: is another model behind it now?"
            )
        self.dim = dim
        return rows


def _snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"

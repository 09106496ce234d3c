"""Frame and query embeddings from an OpenAI-compatible /v1/embeddings endpoint (vLLM and alike).

    embedder = HTTPImageEmbedder("http://localhost:8002/v1", "TIGER-Lab/VLM2Vec-Full")
    vectors = embedder.embed_images([frame.rgb])  # one POST per image, chat-style `messages`

vLLM serves a multimodal embedding model (``vllm serve TIGER-Lab/VLM2Vec-Full --task embed``)
with the chat form of the embeddings request: ``messages`` holding the image as a data-URI
``image_url`` part beside a short text prompt, one conversation (so one image) per request.
Texts go in the plain form, ``input: [...]``, all in one request. Transport and retries are
EndpointHTTP's (avas.llm.http); every error names the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.llm.http import EndpointHTTP, snippet
from avas.perception.captioner_openai import _jpeg_data_uri
from avas.perception.image_embed_base import unit_rows

if TYPE_CHECKING:
    from avas.config import EndpointSettings


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
        if max_side_px < 16:
            raise ValueError("need max_side_px >= 16")
        self.http = EndpointHTTP(
            base_url,
            "embeddings",
            what="image embedding",
            model=model,
            api_key=api_key,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
        )
        self.url = self.http.url
        self.model = model
        self.model_id = f"openai-embed:{model}"
        self.dim = 0
        self.image_prompt = image_prompt
        self.max_side_px = max_side_px
        self.jpeg_quality = jpeg_quality

    @classmethod
    def from_endpoint(
        cls, endpoint: EndpointSettings, *, image_prompt: str, max_side_px: int
    ) -> HTTPImageEmbedder:
        if not endpoint.url:
            raise ValueError("the image embedding endpoint has no URL")
        return cls(
            endpoint.url,
            endpoint.model,
            api_key=endpoint.key(),
            image_prompt=image_prompt,
            max_side_px=max_side_px,
            timeout_s=endpoint.timeout_s,
            retries=endpoint.retries,
        )

    def close(self) -> None:
        self.http.close()

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
        return self.http.call(lambda: self.http.post(body), lambda resp: self._parse(resp, expect))

    def _parse(self, resp: httpx.Response, expect: int) -> list[list[float]]:
        try:
            data = sorted(resp.json()["data"], key=lambda d: int(d.get("index", 0)))
            rows = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DependencyError(
                f"image embedding server {self.url} sent no embeddings "
                f"({type(exc).__name__}): {snippet(resp.text)}"
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

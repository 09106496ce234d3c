"""Structured VLM captions from vLLM, llama.cpp server or any OpenAI-compatible endpoint.

captioner = OpenAICompatibleCaptioner("http://localhost:8000", "Qwen/Qwen2.5-VL-3B-Instruct")
cap = captioner.caption([frame.rgb for frame in event_frames])  # -> StructuredCaption
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from avas.errors import DependencyError, InputError
from avas.ingest.base import RGBImage
from avas.llm.openai_chat import ChatOutputError, JSONChatClient, ResponseFormat
from avas.perception.captioner_base import StructuredCaption, caption_json_schema

if TYPE_CHECKING:
    from avas.config import EndpointSettings

log = logging.getLogger(__name__)

DEFAULT_PROMPT_PATH = Path(__file__).parent / "prompts" / "caption.md"


# A subclass of DependencyError, not a sibling: to the user a server whose model cannot produce
# the caption JSON is a misconfigured dependency (same exit code, same "fix the VLM" advice), while
# callers that want to skip one bad caption and keep ingesting can catch just this subclass.
class CaptionError(DependencyError):
    """The caption server answered, but not with a valid structured caption."""


class OpenAICompatibleCaptioner:
    """Captions one event's frames via POST {base_url}/v1/chat/completions with a JSON schema.

    Thread-safe: one pooled httpx client serves concurrent `caption` calls (see `caption_many`).
    Nothing touches the network until the first caption.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_images: int = 4,
        max_side_px: int = 512,
        timeout_s: float = 60,
        retries: int = 2,
        prompt_path: str | Path | None = None,
        response_format: ResponseFormat = "json_schema",
        backoff_s: float = 0.5,
        max_tokens: int = 1024,
        jpeg_quality: int = 85,
    ) -> None:
        if max_images < 1 or max_side_px < 16:
            raise ValueError("need max_images >= 1 and max_side_px >= 16")
        self._chat = JSONChatClient(
            base_url,
            model,
            what="caption",
            api_key=api_key,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
            max_tokens=max_tokens,
            response_format=response_format,
        )
        self.url = self._chat.url
        self.model = model
        self.model_id = f"openai-compatible/{model}"
        self.max_images = max_images
        self.max_side_px = max_side_px
        self.jpeg_quality = jpeg_quality
        path = Path(prompt_path) if prompt_path is not None else DEFAULT_PROMPT_PATH
        try:
            self.system_prompt = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise InputError(f"caption prompt file {path} cannot be read: {e}") from e

    @classmethod
    def from_endpoint(
        cls, endpoint: EndpointSettings, *, max_images: int = 4
    ) -> OpenAICompatibleCaptioner:
        if not endpoint.url:
            raise ValueError("the caption endpoint has no URL")
        return cls(
            endpoint.url,
            endpoint.model,
            api_key=endpoint.key(),
            max_images=max_images,
            timeout_s=endpoint.timeout_s,
            retries=endpoint.retries,
            response_format=endpoint.response_format,
        )

    def close(self) -> None:
        self._chat.close()

    def __enter__(self) -> OpenAICompatibleCaptioner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def caption(self, frames: list[RGBImage], *, context: str = "") -> StructuredCaption:
        if not frames:
            raise ValueError("caption needs at least one frame")
        try:
            return self._chat.complete(
                self._messages(frames, context),
                schema=caption_json_schema(),
                name="event_caption",
                validate=StructuredCaption.model_validate,
            )
        except ChatOutputError as e:
            raise CaptionError(str(e)) from e

    def caption_many(
        self,
        batches: Sequence[list[RGBImage]],
        *,
        contexts: Sequence[str] | None = None,
        max_concurrency: int = 4,
    ) -> list[StructuredCaption]:
        """Caption several events at once, at most max_concurrency in flight; input order kept.

        The first failure is raised (after its own retries); captions already done are dropped.
        """
        if contexts is not None and len(contexts) != len(batches):
            raise ValueError("contexts must have one entry per batch")
        ctx = list(contexts) if contexts is not None else [""] * len(batches)
        if not batches:
            return []
        workers = max(1, min(max_concurrency, len(batches)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="captioner") as pool:
            return list(pool.map(lambda f, c: self.caption(f, context=c), batches, ctx))

    # -- request -------------------------------------------------------------------------------

    def _messages(self, frames: list[RGBImage], context: str) -> list[dict[str, Any]]:
        return caption_messages(
            frames,
            context,
            system_prompt=self.system_prompt,
            max_images=self.max_images,
            max_side_px=self.max_side_px,
            jpeg_quality=self.jpeg_quality,
        )


def caption_messages(
    frames: list[RGBImage],
    context: str,
    *,
    system_prompt: str,
    max_images: int,
    max_side_px: int,
    jpeg_quality: int,
) -> list[dict[str, Any]]:
    """The chat for one event, as every captioner sends it: a system prompt, then a user turn
    with the instruction, the observations as context, and up to ``max_images`` JPEG frames."""
    picked = _subsample(frames, max_images)
    text = (
        f"{len(picked)} frame(s) from one event of a video, in time order. "
        "Describe the event as the JSON object specified."
    )
    if context.strip():
        text += f"\n\nContext (use only to help read what is visible):\n{context.strip()}"
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [
        {"type": "image_url", "image_url": {"url": _jpeg_data_uri(f, max_side_px, jpeg_quality)}}
        for f in picked
    ]
    return [
        {"role": "system", "content": system_prompt},
        {"role": "user", "content": parts},
    ]


def _subsample(frames: list[RGBImage], k: int) -> list[RGBImage]:
    """k frames spread evenly over the event, first and last included."""
    if len(frames) <= k:
        return list(frames)
    idx = np.linspace(0, len(frames) - 1, k).round().astype(int)
    return [frames[i] for i in idx]


def _jpeg_data_uri(rgb: RGBImage, max_side_px: int, quality: int) -> str:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"frame must be H x W x 3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
    h, w = rgb.shape[:2]
    scale = max_side_px / max(h, w)
    if scale < 1:
        size = (
            max(1, min(max_side_px, round(w * scale))),
            max(1, min(max_side_px, round(h * scale))),
        )
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError(f"JPEG encoding failed for a frame of shape {rgb.shape}")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")

"""Structured VLM captions from vLLM running in this process (batch ingestion on a GPU).

captioner = VLLMCaptioner("Qwen/Qwen2.5-VL-7B-Instruct")          # needs `pip install 'avas[gpu]'`
caps = captioner.caption_many([frames_a, frames_b])               # one vLLM call, two events

The same request as the OpenAI-compatible captioner (system prompt from the same file, JPEG
data-URI image parts, the same strict JSON schema), but through ``vllm.LLM.chat`` with guided
(structured-output) decoding, so no server is needed and several events share one batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from avas.errors import DependencyError, InputError
from avas.ingest.base import RGBImage
from avas.perception.captioner_base import StructuredCaption, caption_json_schema
from avas.perception.captioner_openai import (
    DEFAULT_PROMPT_PATH,
    CaptionError,
    caption_messages,
)

MISSING_EXTRA = (
    "AVAS_PERCEPTION__CAPTIONER=vllm needs vLLM in this environment: pip install 'avas[gpu]' "
    "on a machine with a GPU (or use AVAS_PERCEPTION__CAPTIONER=openai with a `vllm serve` server)"
)


def _import_vllm() -> Any:
    try:
        return import_module("vllm")  # by name: vllm has no type stubs and is rarely installed
    except ImportError as e:
        raise DependencyError(MISSING_EXTRA) from e


def json_sampling_params(vllm: Any, schema: dict[str, Any], *, max_tokens: int) -> Any:
    """Greedy SamplingParams constrained to ``schema``, in whichever form this vLLM accepts.

    vLLM >= 0.11 takes ``structured_outputs=StructuredOutputsParams(json=...)``; earlier releases
    (0.6-0.10) took ``guided_decoding=GuidedDecodingParams(json=...)``.
    """
    params = import_module("vllm.sampling_params")
    if hasattr(params, "StructuredOutputsParams"):
        return vllm.SamplingParams(
            temperature=0.0,
            max_tokens=max_tokens,
            structured_outputs=params.StructuredOutputsParams(json=schema),
        )
    if hasattr(params, "GuidedDecodingParams"):
        return vllm.SamplingParams(
            temperature=0.0,
            max_tokens=max_tokens,
            guided_decoding=params.GuidedDecodingParams(json=schema),
        )
    raise DependencyError(
        "this vLLM has neither StructuredOutputsParams nor GuidedDecodingParams: "
        "install a vLLM >= 0.6 (pip install 'avas[gpu]')"
    )


class VLLMCaptioner:
    """Captions events with an in-process ``vllm.LLM``; the model loads in the constructor.

    Not thread-safe (one engine); batch instead: `caption_many` sends up to ``batch_size``
    events to vLLM in one ``chat`` call and vLLM schedules them together on the GPU.
    """

    def __init__(
        self,
        model: str,
        *,
        max_images: int = 4,
        max_side_px: int = 512,
        max_tokens: int = 1024,
        batch_size: int = 16,
        max_model_len: int = 16_384,
        gpu_memory_utilization: float = 0.9,
        prompt_path: str | Path | None = None,
        jpeg_quality: int = 85,
        engine_args: dict[str, Any] | None = None,
    ) -> None:
        if max_images < 1 or max_side_px < 16 or batch_size < 1:
            raise ValueError("need max_images >= 1, max_side_px >= 16 and batch_size >= 1")
        path = Path(prompt_path) if prompt_path is not None else DEFAULT_PROMPT_PATH
        try:
            self.system_prompt = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise InputError(f"caption prompt file {path} cannot be read: {e}") from e
        self._vllm = _import_vllm()
        self.model = model
        self.model_id = f"vllm/{model}"
        self.max_images = max_images
        self.max_side_px = max_side_px
        self.batch_size = batch_size
        self.jpeg_quality = jpeg_quality
        self.schema = caption_json_schema()
        self.sampling_params = json_sampling_params(self._vllm, self.schema, max_tokens=max_tokens)
        self.llm = self._vllm.LLM(
            model=model,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            # Every event sends up to max_images frames in one prompt.
            limit_mm_per_prompt={"image": max_images},
            **(engine_args or {}),
        )

    def caption(self, frames: list[RGBImage], *, context: str = "") -> StructuredCaption:
        return self.caption_many([frames], contexts=[context])[0]

    def caption_many(
        self, batches: Sequence[list[RGBImage]], *, contexts: Sequence[str] | None = None
    ) -> list[StructuredCaption]:
        """One caption per event, input order kept; ``batch_size`` events per vLLM call."""
        if contexts is not None and len(contexts) != len(batches):
            raise ValueError("contexts must have one entry per batch")
        ctx = list(contexts) if contexts is not None else [""] * len(batches)
        if any(not frames for frames in batches):
            raise ValueError("caption needs at least one frame per event")
        out: list[StructuredCaption] = []
        for start in range(0, len(batches), self.batch_size):
            chunk = range(start, min(len(batches), start + self.batch_size))
            conversations = [self.messages(batches[i], ctx[i]) for i in chunk]
            results = self.llm.chat(
                conversations, sampling_params=self.sampling_params, use_tqdm=False
            )
            if len(results) != len(conversations):
                raise CaptionError(
                    f"vLLM returned {len(results)} outputs for {len(conversations)} events"
                )
            out += [_parse(result, i) for i, result in zip(chunk, results, strict=True)]
        return out

    def messages(self, frames: list[RGBImage], context: str) -> list[dict[str, Any]]:
        """The chat for one event: the same text and image parts the HTTP captioner sends."""
        return caption_messages(
            frames,
            context,
            system_prompt=self.system_prompt,
            max_images=self.max_images,
            max_side_px=self.max_side_px,
            jpeg_quality=self.jpeg_quality,
        )


def _parse(result: Any, index: int) -> StructuredCaption:
    """A RequestOutput -> a caption; guided decoding can still be cut off by max_tokens."""
    completions = getattr(result, "outputs", None) or []
    if not completions:
        raise CaptionError(f"vLLM returned no completion for event {index} of the batch")
    first = completions[0]
    text = getattr(first, "text", "")
    try:
        return StructuredCaption.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as e:
        reason = getattr(first, "finish_reason", None)
        hint = " (cut off by max_tokens)" if reason == "length" else ""
        raise CaptionError(
            f"vLLM caption for event {index} of the batch is not the caption JSON{hint}: "
            f"{str(e)[:200]}; got {text[:200]!r}"
        ) from e

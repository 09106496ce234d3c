"""Segment and video summaries written by any OpenAI-compatible chat model (vLLM, llama.cpp, ...).

    summariser = OpenAIChatSummariser.from_settings(Settings().summary)  # AVAS_SUMMARY__LLM__*
    text = summariser.summarise(material)  # "[00:00–10:00] The speaker presents the budget ..."

The model sees only the observations (on-screen text, speech, and for a whole video its segment
summaries) and answers ``{"summary": "..."}`` under a JSON schema. A configured summariser that
fails is an error (``DependencyError``), never a silent fall back to the extractive one.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from avas.config import SummarySettings
from avas.knowledge.summary_base import SummaryMaterial, distinct_items
from avas.llm.openai_chat import JSONChatClient
from graph_schema import fmt_span

MAX_SHOWN = 40
MAX_SAID = 80
MAX_PARTS = 60

SYSTEM = (
    "You summarise a stretch of a video for a search index. You are given only what was "
    "observed in it: text read on screen (OCR, may contain misreadings) and speech "
    "(ASR transcripts), in time order; for a whole video also the summaries of its segments. "
    "Write 2 to 4 plain sentences saying what the stretch is about and what happens in it. Use "
    "only the observations: never invent names, numbers or events. If nothing was observed, "
    "say so."
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
    "additionalProperties": False,
}


class _Answer(BaseModel):
    summary: str = Field(min_length=1)


def _validate(data: Any) -> str:
    text = _Answer.model_validate(data).summary.strip()
    if not text:
        raise ValueError("empty summary")
    return text


class OpenAIChatSummariser:
    def __init__(self, client: JSONChatClient) -> None:
        self.client = client
        self.model_id = f"openai-compatible/{client.model}"

    @classmethod
    def from_settings(cls, settings: SummarySettings) -> OpenAIChatSummariser:
        if not settings.llm.url:
            raise ValueError("an LLM summariser needs a server URL")
        client = JSONChatClient.from_endpoint(
            settings.llm, what="summariser", max_tokens=settings.max_tokens
        )
        return cls(client)

    def messages(self, material: SummaryMaterial) -> list[dict[str, Any]]:
        observed: dict[str, Any] = {
            "level": material.level,
            "span": fmt_span(material.span),
            "events": material.events,
            "on_screen_text": distinct_items(material.shown, MAX_SHOWN),
            "speech": distinct_items(material.said, MAX_SAID),
        }
        if material.parts:
            observed["segment_summaries"] = distinct_items(material.parts, MAX_PARTS)
        return [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": json.dumps(observed, ensure_ascii=False, indent=1)},
        ]

    def summarise(self, material: SummaryMaterial) -> str:
        text = self.client.complete(
            self.messages(material), schema=SCHEMA, name="summary", validate=_validate
        )
        # The span leads, as in the extractive summaries: a reader sees where it stands.
        return f"{fmt_span(material.span)}: {text}"

    def close(self) -> None:
        self.client.close()

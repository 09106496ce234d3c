"""What every summariser is given and promises (the extractive one and the LLM one share it)."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

from graph_schema import TimeSpan, normalize_name

MATERIAL_ITEMS = 500  # bounds the memory (and a model's prompt) of an hours-long video summary


def distinct_items(items: list[str], limit: int) -> list[str]:
    """Distinct items, spread evenly over the list when there are more than ``limit``."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = normalize_name(item)
        if key and key not in seen:
            seen.add(key)
            kept.append(item if len(item) <= 160 else item[:157] + "…")
    if len(kept) > limit:
        kept = [kept[round(i * (len(kept) - 1) / (limit - 1))] for i in range(limit)]
    return kept


class SummaryMaterial(BaseModel):
    """What a summariser may use: what was shown and said in a stretch, in order, deduplicated
    (at most MATERIAL_ITEMS of each, spread over the stretch)."""

    video_id: str
    level: Literal["segment", "video"]
    span: TimeSpan
    events: int
    shown: list[str]
    said: list[str]
    parts: list[str] = []  # a video's segment summaries, in order


class Summariser(Protocol):
    model_id: str

    def summarise(self, material: SummaryMaterial) -> str: ...

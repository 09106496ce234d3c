"""The Captioner seam: a VLM turns an event's frames into a structured caption.

captioner: Captioner = OpenAICompatibleCaptioner("http://localhost:8000", "Qwen/Qwen2.5-VL-3B")
cap = captioner.caption(frames, context="loading dock camera")  # -> StructuredCaption(caption=...)
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from avas.ingest.base import RGBImage


class CaptionEntity(BaseModel):
    """Something visible in the event: a person, vehicle, object, animal, place."""

    # Extra keys from a lenient server are dropped; the schema we send still forbids them.
    model_config = ConfigDict(extra="ignore")

    name: str = Field(description="Short noun phrase, e.g. 'man in red jacket'.")
    type: str = Field(description="One word: person, vehicle, animal, object, place, text, other.")
    attributes: list[str] = Field(
        default_factory=list, description="Visible attributes: colour, clothing, size, state."
    )


class CaptionRelation(BaseModel):
    """One visible relation between two entities, by their names."""

    model_config = ConfigDict(extra="ignore")

    subject: str = Field(description="Name of an entity listed in entities.")
    predicate: str = Field(description="Short verb phrase, e.g. 'holds', 'walks toward'.")
    object: str = Field(description="Name of an entity listed in entities.")


class StructuredCaption(BaseModel):
    """What a VLM saw in one event's frames, only what is visible."""

    model_config = ConfigDict(extra="ignore")

    caption: str = Field(description="One or two sentences describing what happens.")
    entities: list[CaptionEntity] = Field(default_factory=list)
    actions: list[str] = Field(
        default_factory=list, description="Actions seen, as short verb phrases."
    )
    relations: list[CaptionRelation] = Field(default_factory=list)
    visible_text: list[str] = Field(
        default_factory=list, description="Text readable in the frames, verbatim."
    )


def _strict(node: Any, defs: dict[str, Any]) -> Any:
    """Inline $refs, drop titles/defaults, and make every object closed with all keys required.

    Inlined because not every server's grammar compiler resolves $ref; closed and fully required
    because OpenAI-style strict mode demands it and it keeps small models from inventing keys.
    """
    if isinstance(node, list):
        return [_strict(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _strict(defs[name], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":  # property names are data, never keywords to drop
            out[key] = {name: _strict(sub, defs) for name, sub in value.items()}
        elif key not in ("title", "default", "$defs"):
            out[key] = _strict(value, defs)
    if out.get("type") == "object" and "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out["properties"])
    return out


def caption_json_schema() -> dict[str, Any]:
    """The JSON schema sent to the server as the response format (self-contained, strict)."""
    raw = StructuredCaption.model_json_schema()
    schema: dict[str, Any] = _strict(raw, raw.get("$defs", {}))
    return schema


class Captioner(Protocol):
    model_id: str

    def caption(self, frames: list[RGBImage], *, context: str = "") -> StructuredCaption:
        """Frames of one event in time order; context is optional text (e.g. OCR, speech)."""
        ...


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def describe_caption(c: StructuredCaption) -> str:
    """One readable paragraph for the event description; empty parts are left out."""
    parts = [_sentence(c.caption)] if c.caption.strip() else []
    if c.entities:
        seen = [
            f"{e.name} ({', '.join([e.type, *e.attributes])})" if e.type or e.attributes else e.name
            for e in c.entities
        ]
        parts.append("Seen: " + "; ".join(seen) + ".")
    if c.actions:
        parts.append("Actions: " + "; ".join(c.actions) + ".")
    if c.relations:
        rels = [f"{r.subject} {r.predicate} {r.object}" for r in c.relations]
        parts.append("Relations: " + "; ".join(rels) + ".")
    if c.visible_text:
        parts.append("Visible text: " + "; ".join(f"“{t}”" for t in c.visible_text) + ".")
    return " ".join(parts)

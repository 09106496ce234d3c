"""The Neo4j store's node mapping: a model's queried properties, and rows back to models.

    props = node_props(NodeKind.EVENT, event); parse_event(row["data"]) == event

Each node keeps its pydantic model as JSON in ``data`` (read back exactly) next to the
properties that the queries in ``graph_schema/queries`` use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from avas.errors import NotFoundError
from avas.graph.base import SearchHit
from graph_schema import (
    NODE_MODELS,
    EdgeType,
    Entity,
    Event,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    Summary,
    TimeSpan,
    Video,
)

# Each edge type's rows travel in their own parameter of commit_event.cypher (relationship types
# cannot be parameters, so the query has one subquery per type).
EDGE_PARAMS: dict[EdgeType, str] = {etype: etype.value.lower() for etype in EdgeType}


def node_props(kind: NodeKind, model: BaseModel) -> dict[str, Any]:
    """The queried properties of a node, plus its model as JSON in ``data``."""
    props: dict[str, Any] = {
        "id": getattr(model, "id"),  # noqa: B009 - every node model has an id
        "node_kind": kind.value,
        "data": model.model_dump_json(),
    }
    span: TimeSpan | None = getattr(model, "span", None)
    if span is not None:
        props |= {"start_ms": span.start_ms, "end_ms": span.end_ms}
    if isinstance(model, Video):
        props |= {"path": model.path, "status": model.status}
    elif isinstance(model, Event):
        props |= {
            "video_id": model.video_id,
            "text": model.description,
            "observers": list(model.observers),
        }
    elif isinstance(model, SpeechSegment | OnScreenText):
        props |= {"video_id": model.video_id, "text": model.text}
    elif isinstance(model, Entity):
        props |= {"entity_kind": model.kind.value, "name": model.name}
    elif isinstance(model, Summary):
        props |= {"video_id": model.video_id, "text": model.text, "level": model.level}
    return props


def parse_node(kind: NodeKind | str, data: str) -> BaseModel:
    return NODE_MODELS[NodeKind(kind)].model_validate_json(data)


def parse_event(data: str) -> Event:
    return Event.model_validate_json(data)


def search_hit(kind: str, data: str, score: float) -> SearchHit:
    model = parse_node(kind, data)
    text = model.description if isinstance(model, Event) else getattr(model, "text", "")
    return SearchHit(
        id=getattr(model, "id"),  # noqa: B009
        kind=NodeKind(kind),
        video_id=getattr(model, "video_id"),  # noqa: B009
        span=getattr(model, "span"),  # noqa: B009
        text=text,
        score=score,
    )


def check_edges(etype: EdgeType, batch: Sequence[dict[str, Any]], merged: Sequence[Any]) -> None:
    """The commit MATCHes both ends of an edge: a row it merged nothing for names a missing node,
    and raising here rolls the whole commit back (the embedded store refuses such a record too)."""
    done = {(src, dst) for src, dst in merged}
    for edge in batch:
        if (edge["src"], edge["dst"]) not in done:
            raise NotFoundError(
                f"edge {etype.value} {edge['src']} -> {edge['dst']}: "
                "a node at either end is not in the store"
            )

"""The agent's tools, once, for both policies: a pydantic argument model and one function each.

    found = run_tool(toolkit, "search", {"query": "budget", "modality": "speech"}, ctx)
    TOOL_CALL_SCHEMA  # the LLM policy's JSON schema for a call, generated from the models

The offline policy calls these functions from its nodes; the LLM policy validates the model's
calls against the same argument models and dispatches them here, so a tool behaves the same
whoever calls it. Adding a tool is one argument model, one function and one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.look import moment_around
from agents.state import Modality
from agents.tools import Toolkit
from avas.errors import AvasError
from avas.retrieval.hybrid import Evidence
from graph_schema import TimeSpan


class ToolContext(BaseModel):
    """What every call runs within: the question's video scope and the question itself."""

    video_id: str | None = None
    question: str = ""


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Window(_Args):
    start_ms: int | None = Field(None, ge=0, description="only evidence from here on (ms)")
    end_ms: int | None = Field(None, ge=0, description="only evidence up to here (ms)")

    def span(self) -> TimeSpan | None:
        if self.start_ms is None and self.end_ms is None:
            return None
        start = self.start_ms or 0
        return TimeSpan(start_ms=start, end_ms=max(start, self.end_ms or 10**12))


class SearchArgs(Window):
    query: str = Field(min_length=1, description="what to look for, in words")
    modality: Modality = Field("any", description="speech, on-screen text, or any observation")
    # For the offline policy only: left out of the planner's schema (a small model given a list
    # to fill lists until it runs out of tokens).
    keywords: list[str] | None = Field(None, json_schema_extra={"planner": False})
    k: int | None = Field(None, ge=1, le=200, json_schema_extra={"planner": False})


class NodeArgs(_Args):
    node_id: str = Field(min_length=1, description="an evidence number's node id")


class TimelineArgs(_Args):
    modality: Modality = "any"
    limit: int = Field(10, ge=1, le=50)


class EntitiesArgs(_Args):
    query: str = Field(min_length=1, description="a name or thing")


def _search(tools: Toolkit, args: SearchArgs, ctx: ToolContext) -> list[Evidence]:
    found = tools.search(
        args.query, modality=args.modality, video_id=ctx.video_id, keywords=args.keywords, k=args.k
    )
    window = args.span()
    return [e for e in found if window is None or e.span.overlaps(window)]


def _walk(forward: bool) -> Callable[[Toolkit, NodeArgs, ToolContext], list[Evidence]]:
    def walk(tools: Toolkit, args: NodeArgs, ctx: ToolContext) -> list[Evidence]:
        """What was said and shown in the two events after (or before) a node's event."""
        event = tools.event_of(args.node_id)
        found: list[Evidence] = []
        for neighbour in (tools.following if forward else tools.preceding)(event.id, 2):
            d = tools.details(neighbour.id)
            nodes = [n.id for n in d.speech] + [n.id for n in d.texts]
            found += [tools.evidence(n) for n in nodes or [neighbour.id]]
        return found

    return walk


def _timeline(tools: Toolkit, args: TimelineArgs, ctx: ToolContext) -> list[Evidence]:
    return tools.timeline(modality=args.modality, video_id=ctx.video_id, limit=args.limit)


def _summaries(tools: Toolkit, args: Window, ctx: ToolContext) -> list[Evidence]:
    return tools.summaries(video_id=ctx.video_id, window=args.span())


def _entities(tools: Toolkit, args: EntitiesArgs, ctx: ToolContext) -> list[Evidence]:
    found: list[Evidence] = []
    for entity in tools.entities(args.query, k=3):
        rels = [tools.relation_evidence(r) for r in tools.relations(entity.id)]
        found += [e for e in rels if e is not None]
        found += tools.entity_events(entity.id, video_id=ctx.video_id)
    return [e for e in found if ctx.video_id is None or e.video_id == ctx.video_id]


def _look_again(tools: Toolkit, args: NodeArgs, ctx: ToolContext) -> list[Evidence]:
    """The seconds around a node, read again densely (not the whole event: a look must stay
    fast on hours of video)."""
    hit = tools.evidence(args.node_id)
    span = moment_around(hit.span, tools.event_of(args.node_id).span)
    return tools.look_again(hit.video_id, span, question=ctx.question)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[_Args]
    run: Callable[[Toolkit, Any, ToolContext], list[Evidence]]


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("search", "hybrid search of speech, on-screen text and events", SearchArgs, _search),
        Tool("following", "what came in the two events after a node", NodeArgs, _walk(True)),
        Tool("preceding", "what came in the two events before a node", NodeArgs, _walk(False)),
        Tool("timeline", "the first observations in time order", TimelineArgs, _timeline),
        Tool("summaries", "the video or segment summaries", Window, _summaries),
        Tool("entities", "entities by name: their relations and events", EntitiesArgs, _entities),
        Tool("look_again", "a denser read of a node's event (OCR, speech)", NodeArgs, _look_again),
    )
}


def run_tool(
    tools: Toolkit, name: str, arguments: dict[str, Any], ctx: ToolContext
) -> list[Evidence]:
    """Validate ``arguments`` against the tool's model and run it; a call that does not fit or
    names a node that is not there finds nothing (the planner's mistake, not the user's)."""
    tool = TOOLS.get(name)
    if tool is None:
        return []
    try:
        args = tool.args.model_validate(
            {k: v for k, v in arguments.items() if k in tool.args.model_fields}
        )
        found = tool.run(tools, args, ctx)
        # A time window limits what any tool returns, whether or not the tool itself uses it.
        window = Window.model_validate({k: arguments.get(k) for k in ("start_ms", "end_ms")}).span()
    except (ValidationError, AvasError):
        return []
    return [e for e in found if window is None or e.span.overlaps(window)]


def tool_call_schema() -> dict[str, Any]:
    """The JSON schema of one call, from the argument models: ``tool`` names the tool, the
    other properties are the union of every tool's arguments, each required and null where
    unused (strict structured output wants every property required; llama.cpp's json_object
    mode takes no oneOf)."""
    properties: dict[str, Any] = {"tool": {"type": "string", "enum": list(TOOLS)}}
    for tool in TOOLS.values():
        for field, spec in tool.args.model_json_schema().get("properties", {}).items():
            if spec.get("planner") is False:
                continue
            spec = {k: v for k, v in spec.items() if k not in ("default", "title")}
            if "anyOf" in spec:  # int | None -> the non-null branch, made nullable below
                spec = {**spec.pop("anyOf")[0], **spec}
            kind = spec.get("type", "string")
            spec["type"] = [kind, "null"] if isinstance(kind, str) else kind
            if "enum" in spec:
                spec["enum"] = [*spec["enum"], None]
            properties.setdefault(field, spec)
    # What to do first, then where: a small model writes the fields in this order.
    first = ["tool", "query", "modality", "node_id"]
    ordered = {k: properties[k] for k in first if k in properties}
    ordered |= {k: v for k, v in properties.items() if k not in ordered}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(ordered),
        "properties": ordered,
    }


def describe_tools() -> str:
    """One line per tool and its arguments, for prompts."""
    lines = []
    for tool in TOOLS.values():
        args = ", ".join(tool.args.model_fields)
        lines.append(f"- {tool.name}({args}): {tool.description}")
    return "\n".join(lines)

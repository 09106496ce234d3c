"""The LLM policy: plan -> act -> reflect (-> act ...) -> answer, over any OpenAI-compatible model.

    agent = build_llm_agent(tools, JSONChatClient(url, model, what="agent"), budget=Budget())
    answer = ask(agent, "What did the speaker say about the budget?", video_id="talk")

Each model turn is a JSON-schema structured output (plan, reflection, answer). The model chooses
its tool calls and decides when the evidence is enough; the budget (act rounds, tokens, seconds)
stops it otherwise. Answers cite evidence by number, so every citation is a stored span.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict, Field

from agents.prompts import load_prompt
from agents.state import NOT_FOUND, AgentState, Answer, Citation, Modality
from agents.tools import Toolkit
from avas.errors import AvasError
from avas.llm.openai_chat import JSONChatClient
from avas.retrieval.hybrid import Evidence
from graph_schema import TimeSpan, fmt_span

POLICY = "llm-plan-act-reflect"


class Budget(BaseModel):
    max_rounds: int = Field(3, ge=1, description="act rounds (tool batches) per question")
    max_tokens: int = Field(20_000, ge=1)
    max_seconds: float = Field(60, gt=0)
    max_calls_per_round: int = Field(4, ge=1)


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tool: Literal[
        "search", "following", "preceding", "timeline", "summaries", "entities", "look_again"
    ]
    query: str | None = None
    modality: Modality | None = None
    node_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None


class Plan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sub_questions: list[str] = Field(default_factory=list)
    calls: list[ToolCall] = Field(default_factory=list)


class Reflection(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enough: bool
    calls: list[ToolCall] = Field(default_factory=list)


class Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    found: bool
    answer: str
    citations: list[int] = Field(default_factory=list)


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


CALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tool", "query", "modality", "node_id", "start_ms", "end_ms"],
    "properties": {
        "tool": {"type": "string", "enum": list(ToolCall.model_fields["tool"].annotation.__args__)},  # type: ignore[union-attr]
        "query": _nullable("string"),
        "modality": {"type": ["string", "null"], "enum": ["speech", "text", "any", None]},
        "node_id": _nullable("string"),
        "start_ms": _nullable("integer"),
        "end_ms": _nullable("integer"),
    },
}


# Bounded lists: a grammar-constrained small model (llama.cpp) otherwise may list until it runs
# out of tokens, and the JSON is cut off. maxItems is honoured by vLLM's and llama.cpp's grammars.
MAX_LISTED = 4
MAX_CITED = 8


def _array(items: dict[str, Any], most: int = MAX_LISTED) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": most}


def _object(required: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": required,
    }


PLAN_SCHEMA = _object(
    {
        "sub_questions": _array({"type": "string"}),
        "calls": _array(CALL_SCHEMA),
    }
)
REFLECT_SCHEMA = _object({"enough": {"type": "boolean"}, "calls": _array(CALL_SCHEMA)})
ANSWER_SCHEMA = _object(
    {
        "found": {"type": "boolean"},
        "answer": {"type": "string"},
        "citations": _array({"type": "integer"}, MAX_CITED),
    }
)
VERIFY_SCHEMA = _object(
    {
        "claims": {
            "type": "array",
            "maxItems": MAX_CITED,
            "items": _object(
                {
                    "claim": {"type": "string"},
                    "evidence": _array({"type": "integer"}, MAX_CITED),
                    "supported": {"type": "boolean"},
                }
            ),
        }
    }
)


class Claim(BaseModel):
    model_config = ConfigDict(extra="ignore")

    claim: str
    evidence: list[int] = Field(default_factory=list)
    supported: bool


class Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    claims: list[Claim] = Field(default_factory=list)


class _Run:
    """Per-question working memory: numbered evidence, calls made, clock."""

    def __init__(self) -> None:
        self.evidence: list[Evidence] = []
        self.calls: set[str] = set()
        self.started = time.monotonic()
        self.tokens_at_start = 0


def _evidence_block(evidence: list[Evidence]) -> str:
    if not evidence:
        return "(no evidence yet)"
    return "\n".join(
        f"E{i} {fmt_span(e.span)} video={e.video_id} {e.kind.value} id={e.node_id}: {e.text[:300]}"
        for i, e in enumerate(evidence, 1)
    )


def build_llm_agent(
    tools: Toolkit, chat: JSONChatClient, *, budget: Budget | None = None, verify: bool = False
) -> Any:
    """``verify``: one more model turn checks each claim of the answer against its evidence."""
    budget = budget or Budget()
    runs: dict[int, _Run] = {}

    def run_of(state: AgentState) -> _Run:
        return runs.setdefault(id(state.get("question")), _Run())

    def act(calls: list[ToolCall], state: AgentState, run: _Run) -> list[str]:
        notes = []
        for call in calls[: budget.max_calls_per_round]:
            key = call.model_dump_json()
            if key in run.calls:
                notes.append(f"skip repeated {call.tool}")
                continue
            run.calls.add(key)
            found = _execute(tools, call, state.get("video_id"), state["question"])
            # By node and text: a look again yields new observations of an event already known.
            known = {(e.node_id, e.text) for e in run.evidence}
            new = [e for e in found if (e.node_id, e.text) not in known]
            run.evidence += new
            notes.append(f"{call.tool}({call.query or call.node_id or ''}): {len(new)} new")
        return notes

    def messages(
        system: str, state: AgentState, run: _Run, extra: str = ""
    ) -> list[dict[str, Any]]:
        history = state.get("history") or []
        context = "".join(f"Earlier: Q: {a.question} A: {a.text}\n" for a in history[-3:])
        user = (
            f"{context}Question: {state['question']}\n"
            f"Video: {state.get('video_id') or 'all videos'}\n\n"
            f"Evidence:\n{_evidence_block(run.evidence)}{extra}"
        )
        return [
            {"role": "system", "content": load_prompt(system)},
            {"role": "user", "content": user},
        ]

    def plan_node(state: AgentState) -> AgentState:
        run = run_of(state)
        run.tokens_at_start = chat.tokens_used
        plan = chat.complete(
            messages("plan", state, run),
            schema=PLAN_SCHEMA,
            name="plan",
            validate=Plan.model_validate,
        )
        notes = act(plan.calls, state, run)
        steps = [
            *state.get("steps", []),
            f"plan: {plan.sub_questions}",
            *[f"act: {n}" for n in notes],
        ]
        return {"steps": steps, "evidence": list(run.evidence), "broadened": False}

    def over_budget(run: _Run, rounds: int) -> str | None:
        if rounds >= budget.max_rounds:
            return f"budget: {rounds} act rounds"
        if chat.tokens_used - run.tokens_at_start >= budget.max_tokens:
            return f"budget: {chat.tokens_used - run.tokens_at_start} tokens"
        if time.monotonic() - run.started >= budget.max_seconds:
            return f"budget: {budget.max_seconds:g} s"
        return None

    def reflect_node(state: AgentState) -> AgentState:
        run = run_of(state)
        steps = list(state.get("steps", []))
        rounds = sum(1 for s in steps if s.startswith("plan:") or s.startswith("reflect:"))
        stop = over_budget(run, rounds)
        if stop:
            return {"steps": [*steps, stop], "broadened": True}
        reflection = chat.complete(
            messages("reflect", state, run),
            schema=REFLECT_SCHEMA,
            name="reflect",
            validate=Reflection.model_validate,
        )
        if reflection.enough or not reflection.calls:
            return {"steps": [*steps, "reflect: enough evidence"], "broadened": True}
        notes = act(reflection.calls, state, run)
        return {
            "steps": [
                *steps,
                f"reflect: {len(reflection.calls)} more calls",
                *[f"act: {n}" for n in notes],
            ],
            "evidence": list(run.evidence),
            "broadened": False,
        }

    def verify_turn(
        state: AgentState, run: _Run, text: str, cited: list[Evidence]
    ) -> tuple[str, list[Evidence], str]:
        """The supported claims, the evidence they cite, and a step line."""
        verdict = chat.complete(
            messages("verify", state, run, extra=f"\n\nAnswer to check:\n{text}"),
            schema=VERIFY_SCHEMA,
            name="verify",
            validate=Verdict.model_validate,
        )
        if not verdict.claims:  # the model split nothing out: nothing to drop
            return text, cited, "verify: no claims returned; answer kept"
        kept = [c for c in verdict.claims if c.supported and c.evidence]
        numbers = [i for c in kept for i in c.evidence if 1 <= i <= len(run.evidence)]
        backed = [run.evidence[i - 1] for i in dict.fromkeys(numbers)]
        note = f"verify: {len(kept)} of {len(verdict.claims)} claims supported"
        if not backed:
            return NOT_FOUND, [], note
        return " ".join(c.claim.strip() for c in kept), backed, note

    def answer_node(state: AgentState) -> AgentState:
        run = runs.pop(id(state.get("question")), _Run())
        reply = chat.complete(
            messages("answer", state, run),
            schema=ANSWER_SCHEMA,
            name="answer",
            validate=Reply.model_validate,
        )
        cited = [
            run.evidence[i - 1]
            for i in dict.fromkeys(reply.citations)
            if 1 <= i <= len(run.evidence)
        ]
        found = reply.found and bool(cited)
        text = reply.answer
        notes = []
        if found and verify:
            text, cited, note = verify_turn(state, run, reply.answer, cited)
            found = bool(cited)
            notes.append(note)
        answer = Answer(
            question=state["question"],
            text=text if found else NOT_FOUND,
            found=found,
            citations=[
                Citation(
                    video_id=e.video_id, span=e.span, kind=e.kind, text=e.text, node_id=e.node_id
                )
                for e in cited
            ]
            if found
            else [],
            policy=POLICY,
            models=[f"openai-compatible/{chat.model}", *tools.models()],
            steps=[
                *state.get("steps", []),
                *notes,
                f"answer: {len(cited)} citations, tokens {chat.tokens_used - run.tokens_at_start}",
            ],
        )
        return {"answer": answer}

    graph = StateGraph(AgentState)
    graph.add_node("plan", plan_node)
    graph.add_node("reflect", reflect_node)
    graph.add_node("answer", answer_node)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "reflect")
    # "broadened" doubles as the done flag here: reflect sets it when it stops looping.
    graph.add_conditional_edges(
        "reflect",
        lambda s: "answer" if s.get("broadened") else "reflect",
        {"answer": "answer", "reflect": "reflect"},
    )
    graph.add_edge("answer", END)
    return graph.compile()


def _execute(tools: Toolkit, call: ToolCall, video_id: str | None, question: str) -> list[Evidence]:
    window = None
    if call.start_ms is not None or call.end_ms is not None:
        start = max(0, call.start_ms or 0)
        window = TimeSpan(start_ms=start, end_ms=max(start, call.end_ms or 10**12))
    try:
        if call.tool == "search" and call.query:
            found = tools.search(call.query, modality=call.modality or "any", video_id=video_id)
        elif call.tool in ("following", "preceding") and call.node_id:
            event = tools.event_of(call.node_id)
            walk = tools.following if call.tool == "following" else tools.preceding
            found = []
            for neighbour in walk(event.id, 2):
                d = tools.details(neighbour.id)
                nodes = [n.id for n in d.speech] + [n.id for n in d.texts]
                found += [tools.evidence(n) for n in nodes or [neighbour.id]]
        elif call.tool == "timeline":
            found = tools.timeline(modality=call.modality or "any", video_id=video_id, limit=10)
        elif call.tool == "summaries":
            found = tools.summaries(video_id=video_id, window=window)
        elif call.tool == "entities" and call.query:
            found = []
            for entity in tools.entities(call.query, k=3):
                rels = [tools.relation_evidence(r) for r in tools.relations(entity.id)]
                found += [e for e in rels if e is not None]
                found += tools.entity_events(entity.id, video_id=video_id)
            if video_id is not None:
                found = [e for e in found if e.video_id == video_id]
        elif call.tool == "look_again" and call.node_id:
            hit = tools.evidence(call.node_id)
            span = tools.event_of(call.node_id).span
            found = tools.look_again(hit.video_id, span, question=question)
        else:
            return []
    except AvasError:  # a bad node id from the model is its mistake, not the user's
        return []
    if window is not None:
        found = [e for e in found if e.span.overlaps(window)]
    return found

"""The LLM policy: plan -> act -> reflect (-> act ...) -> answer, over any OpenAI-compatible model.

    agent = build_llm_agent(tools, JSONChatClient(url, model, what="agent"), budget=Budget())
    answer = ask(agent, "What did the speaker say about the budget?", video_id="talk")

Each model turn is a JSON-schema structured output (plan, reflection, answer). The model chooses
its tool calls and decides when the evidence is enough; the budget (act rounds, tokens, seconds)
stops it otherwise. Answers cite evidence by number, so every citation is a stored span.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict, Field

from agents.prompts import load_prompt

if TYPE_CHECKING:
    from agents.graph import Agent
from agents.registry import ToolContext, run_tool, tool_call_schema
from agents.state import NOT_FOUND, AgentState, Answer, Citation
from agents.tools import Toolkit
from avas.llm.openai_chat import JSONChatClient
from avas.retrieval.hybrid import Evidence
from graph_schema import fmt_span

POLICY = "llm-plan-act-reflect"


class Budget(BaseModel):
    max_rounds: int = Field(3, ge=1, description="act rounds (tool batches) per question")
    max_tokens: int = Field(20_000, ge=1)
    max_seconds: float = Field(60, gt=0)
    max_calls_per_round: int = Field(4, ge=1)


class ToolCall(BaseModel):
    """One call as the model writes it: a tool's name and its arguments, flat (see
    ``agents.registry.tool_call_schema``); the registry validates the arguments."""

    model_config = ConfigDict(extra="allow")

    tool: str

    def arguments(self) -> dict[str, Any]:
        return {k: v for k, v in (self.model_extra or {}).items() if v is not None}

    @property
    def label(self) -> str:
        args = self.arguments()
        return str(args.get("query") or args.get("node_id") or "")


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


CALL_SCHEMA: dict[str, Any] = tool_call_schema()


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
) -> Agent:
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
            ctx = ToolContext(video_id=state.get("video_id"), question=state["question"])
            found = run_tool(tools, call.tool, call.arguments(), ctx)
            # By node and text: a look again yields new observations of an event already known.
            known = {(e.node_id, e.text) for e in run.evidence}
            new = [e for e in found if (e.node_id, e.text) not in known]
            run.evidence += new
            notes.append(f"{call.tool}({call.label}): {len(new)} new")
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

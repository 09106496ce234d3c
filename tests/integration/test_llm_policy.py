"""The LLM policy's control flow through a scripted OpenAI-compatible server on 127.0.0.1.

The server speaks the real contract (chat completions with a JSON-schema response_format) and
refuses malformed requests; only its answers are scripted, since no LLM can run in the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion

from agents.graph import ask
from agents.llm_policy import Budget, build_llm_agent
from agents.state import NOT_FOUND
from agents.tools import Toolkit
from avas.errors import DependencyError
from avas.llm.openai_chat import JSONChatClient
from avas.media.sample import SampleManifest
from avas.pipeline import IngestReport
from avas.retrieval.hybrid import HybridRetriever
from avas.service import Service


class Script:
    def __init__(self) -> None:
        self.replies: dict[str, list[Any]] = {}
        self.seen: list[dict[str, Any]] = []


def _problem(req: Request) -> str | None:
    body = req.body
    if req.path != "/v1/chat/completions" or not isinstance(body, dict):
        return "not a chat completion"
    fmt = body.get("response_format", {})
    schema = fmt.get("json_schema", {}).get("schema", {})
    messages = body.get("messages", [])
    if body.get("model") != "planner-test":
        return "unknown model"
    if [m.get("role") for m in messages] != ["system", "user"]:
        return "messages must be [system, user]"
    if fmt.get("type") != "json_schema" or schema.get("additionalProperties") is not False:
        return "response_format must carry a strict json_schema"
    if fmt["json_schema"].get("name") not in ("plan", "reflect", "answer", "verify"):
        return "unknown schema name"
    return None


def _respond(script: Script) -> Any:
    def respond(req: Request) -> Reply:
        body = req.body
        name = body["response_format"]["json_schema"]["name"]
        script.seen.append({"name": name, "body": body})
        queue = script.replies.get(name, [])
        content = queue.pop(0) if len(queue) > 1 else (queue[0] if queue else "{}")
        return Reply(200, chat_completion(content, tokens=100))

    return respond


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    with OpenAIStub(_respond(script), check=_problem) as stub:
        yield stub.v1, script


def _agent(
    service: Service, url: str, budget: Budget | None = None, *, verify: bool = False
) -> Any:
    tools = Toolkit(service.store, HybridRetriever(service.store, service.embedder))
    chat = JSONChatClient(url, "planner-test", what="agent", retries=1, backoff_s=0.01)
    return build_llm_agent(tools, chat, budget=budget, verify=verify)


def _call(tool: str, query: str | None = None, modality: str | None = None) -> dict[str, Any]:
    return {"tool": tool, "query": query, "modality": modality, "node_id": None,
            "start_ms": None, "end_ms": None}  # fmt: skip


def test_plan_act_reflect_answer(
    service: Service, ingested: IngestReport, sample: SampleManifest, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {
        "plan": [
            {"sub_questions": ["what was said"], "calls": [_call("search", "budget", "speech")]}
        ],
        "reflect": [{"enough": True, "calls": []}],
        "answer": [{"found": True, "answer": "The budget is four million.", "citations": [1]}],
    }
    answer = ask(
        _agent(service, url), "What did the speaker say about the budget?", video_id="short"
    )
    assert [s["name"] for s in script.seen] == ["plan", "reflect", "answer"]
    (fact,) = [f for f in sample.speech() if "budget" in f.text]
    assert answer.found and answer.citations[0].span.overlaps(fact.span)
    assert (
        answer.policy == "llm-plan-act-reflect"
        and "openai-compatible/planner-test" in answer.models
    )
    # The model saw the retrieved evidence, numbered, in its answer turn.
    answer_prompt = script.seen[-1]["body"]["messages"][1]["content"]
    assert "E1 [" in answer_prompt and "budget" in answer_prompt.lower()


def test_budget_stops_the_loop(
    service: Service, ingested: IngestReport, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {
        "plan": [{"sub_questions": [], "calls": [_call("search", "harbor", "text")]}],
        "reflect": [
            {"enough": False, "calls": [_call("search", "bridge", "any")]},
            {"enough": False, "calls": [_call("search", "repairs", "speech")]},
            {"enough": False, "calls": [_call("search", "friday", "speech")]},
        ],
        "answer": [{"found": True, "answer": "HARBOR BRIDGE", "citations": [1]}],
    }
    answer = ask(
        _agent(service, url, Budget(max_rounds=2)), "What does the sign say?", video_id="short"
    )
    names = [s["name"] for s in script.seen]
    assert names == ["plan", "reflect", "answer"]  # round 1 = plan, round 2 = reflect, then stop
    assert any(step.startswith("budget: 2 act rounds") for step in answer.steps)


def test_uncited_answer_is_not_found(
    service: Service, ingested: IngestReport, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {
        "plan": [{"sub_questions": [], "calls": [_call("search", "volcano", "any")]}],
        "reflect": [{"enough": True, "calls": []}],
        "answer": [{"found": True, "answer": "A volcano erupts.", "citations": [99]}],
    }
    answer = ask(_agent(service, url), "When does the volcano erupt?", video_id="short")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []


def test_model_that_cannot_follow_the_schema_fails_loudly(
    service: Service, ingested: IngestReport, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {"plan": ["this is not json"]}
    with pytest.raises(DependencyError, match="invalid JSON"):
        ask(_agent(service, url), "What did the speaker say?", video_id="short")
    assert len(script.seen) == 2  # one retry for bad output, then the error


def test_verify_drops_unsupported_claims(
    service: Service, ingested: IngestReport, sample: SampleManifest, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {
        "plan": [{"sub_questions": [], "calls": [_call("search", "budget", "speech")]}],
        "reflect": [{"enough": True, "calls": []}],
        "answer": [
            {
                "found": True,
                "answer": "The budget is four million dollars. It was approved by the board.",
                "citations": [1],
            }
        ],
        "verify": [
            {
                "claims": [
                    {"claim": "The budget is four million dollars.", "evidence": [1],
                     "supported": True},
                    {"claim": "It was approved by the board.", "evidence": [], "supported": False},
                ]
            }
        ],
    }  # fmt: skip
    answer = ask(
        _agent(service, url, verify=True),
        "What did the speaker say about the budget?",
        video_id="short",
    )
    assert [s["name"] for s in script.seen] == ["plan", "reflect", "answer", "verify"]
    # The verify turn saw the answer to check and the numbered evidence.
    prompt = script.seen[-1]["body"]["messages"][1]["content"]
    assert "approved by the board" in prompt and "E1 [" in prompt
    assert answer.found and answer.text == "The budget is four million dollars."
    (fact,) = [f for f in sample.speech() if "budget" in f.text]
    assert answer.citations and answer.citations[0].span.overlaps(fact.span)
    assert "verify: 1 of 2 claims supported" in answer.steps


def test_verify_with_no_supported_claim_is_not_found(
    service: Service, ingested: IngestReport, server: tuple[str, Script]
) -> None:
    url, script = server
    script.replies = {
        "plan": [{"sub_questions": [], "calls": [_call("search", "harbor", "text")]}],
        "reflect": [{"enough": True, "calls": []}],
        "answer": [{"found": True, "answer": "The bridge is red.", "citations": [1]}],
        "verify": [{"claims": [{"claim": "The bridge is red.", "evidence": [1],
                                "supported": False}]}],
    }  # fmt: skip
    answer = ask(_agent(service, url, verify=True), "What colour is the bridge?", video_id="short")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []


def test_entities_and_look_again_tools(
    service: Service, ingested: IngestReport, sample: SampleManifest, server: tuple[str, Script]
) -> None:
    url, script = server
    (sign,) = [f for f in sample.texts() if f.text == "HARBOR BRIDGE"]
    script.replies = {
        # The sample's on-screen names are text entities: "HARBOR BRIDGE" is one.
        "plan": [{"sub_questions": [], "calls": [_call("entities", "harbor bridge")]}],
        "reflect": [{"enough": True, "calls": []}],
        "answer": [{"found": True, "answer": "HARBOR BRIDGE is shown.", "citations": [1]}],
    }
    answer = ask(_agent(service, url), "Where does the harbor bridge appear?", video_id="short")
    assert answer.found and answer.citations[0].span.overlaps(sign.span)
    assert any(s.startswith("act: entities(harbor bridge): ") and not s.endswith(": 0 new")
               for s in answer.steps)  # fmt: skip
    answer_prompt = script.seen[-1]["body"]["messages"][1]["content"]
    assert "E1 [" in answer_prompt

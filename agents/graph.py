"""Build the LangGraph agent: analyse -> retrieve -> (broaden -> retrieve | look) -> answer.

agent = build_agent(tools)
answer = ask(agent, "When did 'LOADING DOCK B' appear?", video_id="demo")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.nodes import make_nodes, route_after_retrieve
from agents.state import AgentState, Answer
from agents.tools import Toolkit
from avas.config import Settings
from avas.errors import DependencyError, InputError
from avas.graph.base import EventGraphStore
from avas.perception.base import Embedder, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner
from avas.retrieval.hybrid import EvidenceSearch

# A compiled agent graph: state in, state (with "answer") out; both policies build one.
Agent = CompiledStateGraph[AgentState, None, AgentState, AgentState]


class AgentParts(Protocol):
    """What the composition root hands the agent (avas.service.Service is one): the agent takes
    its store, embedder, retriever and perceivers from here and builds nothing of its own."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> EventGraphStore: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def text_reader(self) -> TextReader | None: ...
    @property
    def speech_recognizer(self) -> SpeechRecognizer | None: ...
    @property
    def captioner(self) -> Captioner | None: ...
    def moment_finder(self) -> EvidenceSearch:
        """The retriever `avas find` uses (frame modality and re-ranker as configured)."""
        ...


MAX_QUESTION_CHARS = 2_000


def build_agent(tools: Toolkit, *, min_dense: float = 0.45, verify: bool = False) -> Agent:
    """A compiled LangGraph graph over ``AgentState`` (the offline, deterministic policy)."""
    nodes = make_nodes(tools, min_dense=min_dense, verify=verify)
    can_look = tools.looker is not None
    graph = StateGraph(AgentState)
    for name, fn in nodes.items():
        graph.add_node(name, fn)
    graph.add_edge(START, "analyse")
    graph.add_edge("analyse", "retrieve")
    graph.add_conditional_edges(
        "retrieve",
        lambda s: route_after_retrieve(s, can_look=can_look),
        {"broaden": "broaden", "look": "look", "answer": "answer"},
    )
    graph.add_edge("broaden", "retrieve")
    graph.add_edge("look", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def agent_for(service: AgentParts) -> Agent:
    """The agent over the parts' store and retriever, with the policy their settings name."""
    cfg = service.settings.agent
    looker = None
    if cfg.look_again:
        from agents.look import SpanLooker

        # Lambdas: the OCR, speech and VLM components load only when the agent looks again.
        looker = SpanLooker(
            service.store,
            reader=lambda: service.text_reader,
            asr=lambda: service.speech_recognizer,
            captioner=lambda: service.captioner,
            max_side_px=service.settings.ingest.max_side_px,
        )
    tools = Toolkit(
        service.store,
        service.moment_finder(),
        top_k=cfg.top_k,
        looker=looker,
    )
    if cfg.policy == "offline":
        return build_agent(tools, min_dense=cfg.min_dense_score, verify=cfg.verify)
    if not cfg.llm.url:
        raise DependencyError(
            "AVAS_AGENT__POLICY=llm needs AVAS_AGENT__LLM_URL (an OpenAI-compatible server)"
        )
    from agents.llm_policy import Budget, build_llm_agent
    from avas.llm.openai_chat import JSONChatClient

    chat = JSONChatClient.from_endpoint(cfg.llm, what="agent")
    budget = Budget(
        max_rounds=cfg.max_rounds, max_tokens=cfg.max_tokens, max_seconds=cfg.max_seconds
    )
    return build_llm_agent(tools, chat, budget=budget, verify=cfg.verify)


def _initial(question: str, video_id: str | None, history: list[Answer] | None) -> AgentState:
    question = question.strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is too long ({len(question)} > {MAX_QUESTION_CHARS} chars)")
    return {"question": question, "video_id": video_id, "history": history or [], "steps": []}


def ask(
    agent: Agent,
    question: str,
    *,
    video_id: str | None = None,
    history: list[Answer] | None = None,
) -> Answer:
    """One answer; ``history`` (earlier answers, oldest first) resolves follow-up questions."""
    final = agent.invoke(_initial(question, video_id, history))
    answer: Answer = final["answer"]
    return answer


def ask_stream(
    agent: Agent,
    question: str,
    *,
    video_id: str | None = None,
    history: list[Answer] | None = None,
) -> Iterator[str | Answer]:
    """Yields each step as it happens (a line of text), then the Answer."""
    seen = 0
    for update in agent.stream(_initial(question, video_id, history), stream_mode="values"):
        steps = update.get("steps", [])
        yield from steps[seen:]
        seen = len(steps)
        if "answer" in update:
            yield update["answer"]


class Conversation:
    """Chat memory: each question is answered in the light of the earlier answers.

    chat = Conversation(agent, video_id="talk")
    chat.ask("What text appeared about the budget?"); chat.ask("And right after that?")
    """

    def __init__(self, agent: Agent, *, video_id: str | None = None, max_turns: int = 20) -> None:
        self.agent = agent
        self.video_id = video_id
        self.max_turns = max_turns
        self.history: list[Answer] = []

    def stream(self, question: str) -> Iterator[str | Answer]:
        for item in ask_stream(self.agent, question, video_id=self.video_id, history=self.history):
            if isinstance(item, Answer):
                self.history = [*self.history, item][-self.max_turns :]
            yield item

    def ask(self, question: str) -> Answer:
        answers = [i for i in self.stream(question) if isinstance(i, Answer)]
        return answers[-1]

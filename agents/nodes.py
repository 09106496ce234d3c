"""Nodes of the offline policy: analyse -> retrieve (-> broaden | -> look) -> answer (-> verify).

Each node is a small function of the state that returns the keys it changes. The answer is
extractive: every sentence it says comes from a stored observation and cites that span.
"""

from __future__ import annotations

from typing import Protocol

from agents.analysis import analyse
from agents.look import moment_around
from agents.state import NOT_FOUND, AgentState, Answer, Citation, QuestionAnalysis
from agents.tools import Toolkit
from agents.verify import verify_extractive
from avas.errors import AvasError
from avas.retrieval.hybrid import Evidence, word_coverage
from graph_schema import Event, NodeKind, fmt_span, normalize_name

POLICY = "offline-extractive"
# How far an order question walks from its anchor looking for the next observation.
MAX_WALK_EVENTS = 6
# How many observations an open question ("What does the speaker say?") lists.
OVERVIEW_ITEMS = 5


class Node(Protocol):
    def __call__(self, state: AgentState) -> AgentState: ...


def _is_evidence(e: Evidence, analysis: QuestionAnalysis, min_dense: float) -> bool:
    """A hit counts when it holds most of the question's words, or (with none) is very close."""
    if analysis.keywords:
        return e.coverage >= 0.5 or (e.coverage > 0 and e.dense >= min_dense)
    return e.dense >= min_dense


def _cite(e: Evidence) -> Citation:
    return Citation(video_id=e.video_id, span=e.span, kind=e.kind, text=e.text, node_id=e.node_id)


def _relation_evidence(
    tools: Toolkit, analysis: QuestionAnalysis, video_id: str | None
) -> list[Evidence]:
    """Relations of the entities the question names (else the events involving them)."""
    name = " ".join(analysis.keywords) or analysis.anchor or ""
    found: dict[tuple[str, str], Evidence] = {}
    for entity in tools.entities(name, k=3):
        items = [tools.relation_evidence(r) for r in tools.relations(entity.id, video_id=video_id)]
        if not any(items):
            items = list(tools.entity_events(entity.id, video_id=video_id))
        for e in items:
            if e is not None:
                found.setdefault((e.node_id, e.text), e)
    return sorted(found.values(), key=lambda e: (e.video_id, e.span.start_ms, e.text))


def make_nodes(tools: Toolkit, *, min_dense: float, verify: bool = False) -> dict[str, Node]:
    def analyse_node(state: AgentState) -> AgentState:
        history = state.get("history") or []
        analysis = analyse(state["question"], history[-1] if history else None)
        window = f" window={analysis.window.model_dump()}" if analysis.window else ""
        return {
            "analysis": analysis,
            "steps": [
                *state.get("steps", []),
                f"analyse: intent={analysis.intent} modality={analysis.modality} "
                f"anchor={analysis.anchor!r} keywords={analysis.keywords}{window}",
            ],
        }

    def in_window(e: Evidence, analysis: QuestionAnalysis) -> bool:
        if analysis.window is None:
            return True
        video = tools.store.get_video(e.video_id)
        duration = video.duration_ms if video else e.span.end_ms
        span = analysis.window.resolve(max(duration, e.span.end_ms))
        return e.span.overlaps(span) or e.span.start_ms == span.start_ms

    def retrieve_node(state: AgentState) -> AgentState:
        analysis = state["analysis"]
        steps = list(state.get("steps", []))
        if analysis.anchor_node:
            anchor = tools.evidence(analysis.anchor_node)
            steps.append(
                f"follow-up: anchor is the last answer's {anchor.kind.value} {anchor.text!r}"
            )
            return {"evidence": [anchor], "steps": steps}
        if analysis.intent == "summary" or (
            not analysis.keywords and analysis.modality == "any" and analysis.intent == "what"
        ):
            video_id = state.get("video_id")
            window = None
            if analysis.window is not None:
                video = tools.store.get_video(video_id) if video_id else None
                window = analysis.window.resolve(video.duration_ms if video else 10**12)
            summaries = tools.summaries(video_id=video_id, window=window)
            if summaries:
                steps.append(f"summaries: {len(summaries)}")
                return {"evidence": summaries, "steps": steps}
        if analysis.intent == "relations":
            related = _relation_evidence(tools, analysis, state.get("video_id"))
            if related:
                steps.append(f"entities({analysis.anchor!r}): {len(related)} relations or events")
                return {"evidence": related, "steps": steps}
            # No such entity: answer from what was seen and said instead.
            analysis = analysis.model_copy(update={"intent": "what"})
            steps.append(f"entities({analysis.anchor!r}): none; searching instead")
        ordered = analysis.intent in ("after", "before", "count")
        # An order/count question first finds its anchor wherever it was seen or heard.
        modality = "any" if ordered or state.get("broadened") else analysis.modality
        query = analysis.anchor if ordered and analysis.anchor else state["question"]
        k = 50 if analysis.intent == "count" else tools.top_k
        if analysis.window is not None:
            k *= 4  # the window filters after the search: fetch more to keep enough
        if not analysis.keywords and analysis.intent in ("what", "when", "summary"):
            # No topic to search for ("What does the speaker say?"): read the timeline instead.
            overview = tools.timeline(
                modality=analysis.modality,
                video_id=state.get("video_id"),
                limit=OVERVIEW_ITEMS,
                keep=lambda e: in_window(e, analysis),
            )
            steps.append(f"timeline(modality={analysis.modality}): {len(overview)} observations")
            return {"evidence": overview, "steps": steps}
        found = tools.search(
            query,
            modality=modality,
            video_id=state.get("video_id"),
            keywords=analysis.keywords,
            k=k,
        )
        evidence = [
            e for e in found if _is_evidence(e, analysis, min_dense) and in_window(e, analysis)
        ]
        steps.append(
            f"search({query!r}, modality={modality}): {len(found)} hits, {len(evidence)} usable"
        )
        return {"analysis": analysis, "evidence": evidence, "steps": steps}

    def look_node(state: AgentState) -> AgentState:
        """Thin evidence: look again, densely, at the seconds around the best hit; keep what
        covers more of the question."""
        analysis = state["analysis"]
        evidence = state.get("evidence", [])
        best = evidence[0]
        steps = list(state.get("steps", []))
        try:
            span = moment_around(best.span, tools.event_of(best.node_id).span)
            seen = tools.look_again(best.video_id, span, question=state["question"])
        except AvasError as exc:  # the file moved or is gone: answer from what is stored
            steps.append(f"look again: {exc}")
            return {"looked": True, "steps": steps}
        seen = [
            e.model_copy(update={"coverage": word_coverage(analysis.keywords, e.text)})
            for e in seen
        ]
        better = sorted(
            (e for e in seen if e.coverage > best.coverage),
            key=lambda e: (-e.coverage, e.span.start_ms),
        )
        steps.append(
            f"look again at {fmt_span(span)}: {len(seen)} observations, "
            f"{len(better)} cover more of the question"
        )
        return {"looked": True, "evidence": better + evidence, "steps": steps}

    def broaden_node(state: AgentState) -> AgentState:
        return {
            "broadened": True,
            "steps": [*state.get("steps", []), "reflect: nothing usable; search every modality"],
        }

    def answer_node(state: AgentState) -> AgentState:
        analysis = state["analysis"]
        evidence = state.get("evidence", [])
        citations: list[Citation] = []
        if not evidence:
            text = NOT_FOUND
        elif analysis.intent in ("after", "before"):
            text, citations = _order_answer(tools, analysis, evidence[0])
        elif analysis.intent == "count":
            text, citations = _count_answer(analysis, evidence)
        elif analysis.intent == "relations":
            text, citations = _relations_answer(evidence)
        elif evidence[0].kind is NodeKind.SUMMARY:
            text = " ".join(e.text for e in evidence)
            citations = [_cite(e) for e in evidence]
        elif not analysis.keywords:
            text, citations = _overview_answer(evidence)
        else:
            text, citations = _direct_answer(analysis, evidence)
        answer = Answer(
            question=state["question"],
            text=text,
            found=bool(citations),
            citations=citations,
            policy=POLICY,
            models=tools.models(),
            steps=state.get("steps", []),
        )
        if verify:
            answer = verify_extractive(answer)
        return {"answer": answer}

    return {
        "analyse": analyse_node,
        "retrieve": retrieve_node,
        "broaden": broaden_node,
        "look": look_node,
        "answer": answer_node,
    }


def route_after_retrieve(state: AgentState, *, can_look: bool = False) -> str:
    """Reflect: with no usable evidence, widen the search once before giving up; with thin
    evidence (the best hit lacks some of the question's words), look again at its span once."""
    analysis = state["analysis"]
    evidence = state.get("evidence", [])
    if not evidence and not state.get("broadened") and analysis.modality != "any":
        return "broaden"
    if (
        can_look
        and evidence
        and not state.get("looked")
        and analysis.intent in ("what", "when")
        and analysis.keywords
        and analysis.anchor_node is None
        and evidence[0].kind in (NodeKind.SPEECH, NodeKind.TEXT, NodeKind.EVENT)
        and evidence[0].coverage < 1.0
    ):
        return "look"
    return "answer"


def _relations_answer(evidence: list[Evidence]) -> tuple[str, list[Citation]]:
    lines = [f"{fmt_span(e.span)} {e.text}" for e in evidence[: OVERVIEW_ITEMS * 2]]
    return "In time order: " + "; ".join(lines) + ".", [
        _cite(e) for e in evidence[: OVERVIEW_ITEMS * 2]
    ]


def _direct_answer(
    analysis: QuestionAnalysis, evidence: list[Evidence]
) -> tuple[str, list[Citation]]:
    best = evidence[0]
    cited = [best]
    # Equally good hits elsewhere in the video are worth showing too (e.g. the text seen twice).
    cited += [e for e in evidence[1:3] if e.coverage >= best.coverage and e.kind is best.kind]
    where = fmt_span(best.span)
    if best.kind is NodeKind.SPEECH:
        text = f"At {where} the speaker says: “{best.text}”"
    elif best.kind is NodeKind.TEXT:
        text = f"At {where} the screen shows “{best.text}”."
    else:
        text = f"At {where}: {best.text}"
    if analysis.intent == "when":
        text = f"{where} — " + text
    return text, [_cite(e) for e in cited]


def _overview_answer(evidence: list[Evidence]) -> tuple[str, list[Citation]]:
    lines = []
    for e in evidence:
        verb = "the speaker says" if e.kind is NodeKind.SPEECH else "the screen shows"
        lines.append(f"{fmt_span(e.span)} {verb} “{e.text}”")
    return "In time order: " + "; ".join(lines) + ".", [_cite(e) for e in evidence]


def _observations(tools: Toolkit, event: Event, analysis: QuestionAnalysis) -> list[Citation]:
    """What an event offers to an order question: its speech or on-screen text."""
    details = tools.details(event.id)
    speech = [
        Citation(video_id=s.video_id, span=s.span, kind=NodeKind.SPEECH, text=s.text, node_id=s.id)
        for s in details.speech
    ]
    texts = [
        Citation(video_id=t.video_id, span=t.span, kind=NodeKind.TEXT, text=t.text, node_id=t.id)
        for t in details.texts
    ]
    if analysis.modality == "speech":
        return speech
    if analysis.modality == "text":
        return texts
    return sorted(speech + texts, key=lambda c: c.span.start_ms)


def _order_answer(
    tools: Toolkit, analysis: QuestionAnalysis, anchor: Evidence
) -> tuple[str, list[Citation]]:
    """Walk NEXT (or back) from the anchor's event to the first new observation."""
    anchor_key = normalize_name(anchor.text)
    forward = analysis.intent == "after"
    start = tools.event_of(anchor.node_id)
    candidates = [
        start,
        *(tools.following if forward else tools.preceding)(start.id, MAX_WALK_EVENTS),
    ]
    for event in candidates:
        observed = _observations(tools, event, analysis)
        if forward:
            observed = [c for c in observed if c.span.start_ms >= anchor.span.end_ms - 1000]
        else:
            observed = [
                c for c in reversed(observed) if c.span.end_ms <= anchor.span.start_ms + 1000
            ]
        # The anchor itself, still on screen or repeated, is not "what came next".
        fresh = [
            c
            for c in observed
            if normalize_name(c.text) != anchor_key and c.node_id != anchor.node_id
        ]
        if fresh:
            hit = fresh[0]
            relation = "After" if forward else "Before"
            verb = "the speaker says" if hit.kind is NodeKind.SPEECH else "the screen shows"
            text = (
                f"{relation} “{anchor.text}” {fmt_span(anchor.span)}, {verb} “{hit.text}” "
                f"{fmt_span(hit.span)}."
            )
            return text, [hit, _cite(anchor)]
    return (
        f"Found “{anchor.text}” {fmt_span(anchor.span)}, but nothing "
        f"{'after' if forward else 'before'} it in the video.",
        [_cite(anchor)],
    )


def _count_answer(
    analysis: QuestionAnalysis, evidence: list[Evidence]
) -> tuple[str, list[Citation]]:
    """Count separate appearances: matching observations that do not touch each other in time."""
    target = analysis.anchor or " ".join(analysis.keywords)
    words = analysis.keywords
    matches = sorted(
        (
            e
            for e in evidence
            if e.kind is not NodeKind.EVENT and word_coverage(words, e.text) == 1.0
        ),
        key=lambda e: (e.video_id, e.span.start_ms),
    )
    occurrences: list[Evidence] = []
    for e in matches:
        last = occurrences[-1] if occurrences else None
        # Contiguous sightings (one text split across two events) are one appearance.
        if last and last.video_id == e.video_id and e.span.start_ms <= last.span.end_ms + 1500:
            occurrences[-1] = last.model_copy(update={"span": last.span.union(e.span)})
        else:
            occurrences.append(e)
    if not occurrences:
        return NOT_FOUND, []
    spans = ", ".join(fmt_span(o.span) for o in occurrences)
    n = len(occurrences)
    return f"“{target}” appears {n} time{'s' if n != 1 else ''}: {spans}.", [
        _cite(o) for o in occurrences
    ]

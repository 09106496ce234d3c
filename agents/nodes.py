"""Nodes of the offline policy: analyse -> retrieve (-> broaden | -> look) -> answer (-> verify).

Each node is a small function of the state that returns the keys it changes. The answer is
extractive: every sentence it says comes from a stored observation and cites that span.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from agents.analysis import analyse, keywords_of
from agents.judge import FOCUS_SIMILAR, STRICT, WORD_SIMILAR, EvidenceJudge, names_alike, sentences
from agents.look import moment_around
from agents.registry import ToolContext, run_tool
from agents.state import NOT_FOUND, AgentState, Answer, Citation, Modality, QuestionAnalysis
from agents.tools import Toolkit
from agents.verify import verify_extractive
from avas.retrieval.hybrid import Evidence, word_coverage
from graph_schema import (
    Event,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    fmt_span,
    normalize_name,
)

POLICY = "offline-extractive"
# The lowest cosine that can count as standing out from a video's observations: below it, even
# an outlier is a weak match (measured: unrelated questions reach 0.2-0.3 on real speech).
STAND_OUT_FLOOR = 0.25
# How far an order question walks from its anchor looking for the next observation.
MAX_WALK_EVENTS = 6
# How many observations an open question ("What does the speaker say?") lists.
OVERVIEW_ITEMS = 5


class Node(Protocol):
    def __call__(self, state: AgentState) -> AgentState: ...


def judge_hit(
    judge: EvidenceJudge,
    e: Evidence,
    analysis: QuestionAnalysis,
    *,
    bar: float,
    context: str = "",
) -> Evidence | None:
    """The hit as evidence (``coverage`` = share of question words it supports), or None.

    Names must be there as spelled or misheard; what the question is about (its focus, or the
    thing whose colour it asks) must be there or said in other words; then most of the question's
    words, or some of them in a sentence that stands out from the rest of the video (``bar``).
    A close sentence alone is never enough: "money" is near "country", yet not said.
    A name may be in the ``context`` (what was said around the hit, in its event): a sentence
    often says "she" of the person named a sentence before.
    An event whose keyframes stood out for the question (``frame``, the image model's judgement
    of the whole question) is visual evidence even where its description lacks the words.
    """
    words = analysis.keywords
    if not words:
        return e if e.dense >= bar or e.frame > 0 else None
    around = f"{e.text} {context}"
    if any(judge.word_support(n, around, semantic=False) < 1.0 for n in analysis.names):
        return None
    if analysis.focus and not e.frame:
        held = [f for f in analysis.focus if judge.word_support(f, e.text) >= FOCUS_SIMILAR]
        exact = [f for f in analysis.focus if f in STRICT]  # "green" asked: "blue" is no answer
        if not held or len(held) * 2 < len(analysis.focus) or not set(exact) <= set(held):
            return None
    support = judge.support(words, e.text)
    for n in analysis.names:
        support[n] = 1.0
    share = sum(v >= WORD_SIMILAR for v in support.values()) / len(words)
    if share >= 0.5 or (share > 0 and e.dense >= bar) or e.frame > 0:
        return e.model_copy(update={"coverage": round(share, 3)})
    return None


PEOPLE_WORDS = frozenset(
    """person persons people man men woman women boy girl child children kid kids visitor
    visitors crowd human humans someone somebody anyone anybody face faces""".split()
)


def _search_words(tools: Toolkit, analysis: QuestionAnalysis, video_id: str | None) -> list[str]:
    """The question's words for keyword search, plus the spellings the recogniser heard for
    each name the question spells otherwise ("Tilny" asked, "Tilney" heard)."""
    words = list(analysis.keywords)
    for name in analysis.names:
        words += [
            heard.lower()
            for heard in tools.heard_names(name)
            if heard.lower() != name and names_alike(name, heard)
        ]
    return list(dict.fromkeys(words))


def _grounded(
    tools: Toolkit, judge: EvidenceJudge, analysis: QuestionAnalysis, video_id: str | None
) -> bool:
    """Is the thing whose attribute the question asks seen, said or shown anywhere?"""
    if not analysis.focus:
        return True
    head = analysis.focus[0]
    if head in PEOPLE_WORDS:
        signal = "faces" if head.startswith("face") else "people"
        return any(e.signals.get(signal, 0) >= 1 for e in tools.event_signals(video_id))
    if any(judge.word_support(head, ent.name) >= FOCUS_SIMILAR for ent in tools.entities(head)):
        return True
    found = tools.search(head, modality="any", video_id=video_id, keywords=[head], k=20)
    return any(
        judge.word_support(head, e.text) >= FOCUS_SIMILAR
        for e in found
        if e.kind in (NodeKind.SPEECH, NodeKind.TEXT)
    )


def _media_there(tools: Toolkit, video_id: str) -> bool:
    video = tools.store.get_video(video_id)
    return video is not None and (video.is_live or Path(video.path).exists())


def _context(tools: Toolkit, e: Evidence, *, within_ms: int = 20_000) -> str:
    """What else was said or shown near a hit, in its event."""
    details = tools.details(tools.event_of(e.node_id).id)
    items: list[SpeechSegment | OnScreenText] = [*details.speech, *details.texts]
    near = [
        c.text
        for c in items
        if c.id != e.node_id
        and c.span.start_ms <= e.span.end_ms + within_ms
        and c.span.end_ms >= e.span.start_ms - within_ms
    ]
    return " ".join(near)


def _best_child(
    tools: Toolkit, judge: EvidenceJudge, analysis: QuestionAnalysis, event: Evidence, bar: float
) -> Evidence | None:
    """The event's speech or text that is evidence itself, best supported first."""
    details = tools.details(event.node_id)
    children = [
        Evidence(node_id=c.id, kind=kind, video_id=c.video_id, span=c.span, text=c.text,
                 fused=event.fused, dense=event.dense)
        for kind, items in ((NodeKind.SPEECH, details.speech), (NodeKind.TEXT, details.texts))
        for c in items
    ]  # fmt: skip
    context = " ".join(c.text for c in children)
    judged = [
        j
        for c in children
        if (j := judge_hit(judge, c, analysis, bar=0.0, context=context)) is not None
    ]
    if not judged:
        return None
    return max(judged, key=lambda j: (j.coverage, -j.span.start_ms))


def best_sentence(judge: EvidenceJudge, words: list[str], e: Evidence) -> Evidence:
    """The sentence of a long observation that answers, with its share of the span (speech
    runs at an even pace, so a sentence's characters give its time)."""
    parts = sentences(e.text)
    if len(parts) < 2 or not words:
        return e
    scored = [
        (sum(judge.support(words, text).values()), -i) for i, (_, _, text) in enumerate(parts)
    ]
    _, neg_i = max(scored)
    start_c, end_c, text = parts[-neg_i]
    total = len(e.text)
    length = e.span.end_ms - e.span.start_ms
    start = e.span.start_ms + length * start_c // total
    end = max(start + 1000, e.span.start_ms + length * end_c // total)
    span = TimeSpan(start_ms=start, end_ms=min(end, e.span.end_ms))
    return e.model_copy(update={"text": text.strip(), "span": span})


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
    judge = EvidenceJudge(tools.retriever.embedder)

    def judged(
        found: list[Evidence],
        analysis: QuestionAnalysis,
        query: str,
        modality: Modality,
        video_id: str | None,
    ) -> tuple[list[Evidence], float]:
        bar = tools.dense_bar(query, modality=modality, video_id=video_id, floor=STAND_OUT_FLOOR)
        kept: list[Evidence] = []
        for e in found:
            context = _context(tools, e) if analysis.names and e.kind is not NodeKind.EVENT else ""
            j = judge_hit(judge, e, analysis, bar=bar, context=context)
            if j is None:
                continue
            if j.kind is NodeKind.EVENT:  # quote what was said or shown, not the description
                j = _best_child(tools, judge, analysis, j, bar) or j
            if in_window(j, analysis) and all(k.node_id != j.node_id for k in kept):
                kept.append(j)
        # Among equally supported hits, the re-ranker's order (when one ran) before the fusion's.
        kept.sort(
            key=lambda e: (
                -e.coverage,
                e.kind is NodeKind.EVENT,
                -(e.rerank if e.rerank is not None else float("-inf")),
                -e.fused,
                e.span.start_ms,
            )
        )
        return kept, bar

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
        if analysis.intent == "people":
            runs = _people_runs(tools, analysis, state.get("video_id"))
            runs = [r for r in runs if in_window(r, analysis)]
            signal = "faces" if analysis.faces else "people"
            steps.append(f"detectors({signal}): seen in {len(runs)} stretches")
            return {"evidence": runs, "steps": steps}
        if analysis.intent == "first":
            sides: list[Evidence | None] = []
            for side in analysis.sides:
                words = keywords_of(side)
                # A side names a thing: it must be there (or a synonym), not something near it.
                side_analysis = analysis.model_copy(
                    update={"intent": "what", "keywords": words, "focus": words}
                )
                found = tools.search(
                    side,
                    modality="any",
                    video_id=state.get("video_id"),
                    keywords=side_analysis.keywords,
                )
                usable, _ = judged(found, side_analysis, side, "any", state.get("video_id"))
                usable = [e for e in usable if e.kind is not NodeKind.EVENT] or usable
                sides.append(
                    best_sentence(judge, side_analysis.keywords, usable[0]) if usable else None
                )
                steps.append(f"search({side!r}): {len(usable)} usable")
            return {"sides": sides, "evidence": [s for s in sides if s], "steps": steps}
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
        modality: Modality = analysis.modality
        if ordered:
            modality = "any"
        elif state.get("broadened"):
            modality = "any" if analysis.modality == "any" else "observed"
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
        if analysis.attribute and not _grounded(tools, judge, analysis, state.get("video_id")):
            steps.append(
                f"ground: {analysis.focus!r} is nowhere in speech, on-screen text or the "
                "detectors' labels; its " + analysis.attribute + " cannot be reported"
            )
            return {"analysis": analysis, "evidence": [], "broadened": True, "steps": steps}
        found = run_tool(
            tools,
            "search",
            {
                "query": query,
                "modality": modality,
                "keywords": _search_words(tools, analysis, state.get("video_id")),
                "k": k,
            },
            ToolContext(video_id=state.get("video_id"), question=state["question"]),
        )
        if analysis.intent == "count":
            evidence = [e for e in found if in_window(e, analysis)]
            bar = 0.0
        else:
            evidence, bar = judged(found, analysis, query, modality, state.get("video_id"))
        steps.append(
            f"search({query!r}, modality={modality}): {len(found)} hits, {len(evidence)} usable "
            f"(names {analysis.names}, focus {analysis.focus}, stand-out bar {bar:.2f})"
        )
        return {"analysis": analysis, "evidence": evidence, "steps": steps}

    def look_node(state: AgentState) -> AgentState:
        """Thin evidence: look again, densely, at the seconds around the best hit; keep what
        covers more of the question."""
        analysis = state["analysis"]
        evidence = state.get("evidence", [])
        best = evidence[0]
        steps = list(state.get("steps", []))
        span = moment_around(best.span, tools.event_of(best.node_id).span)
        seen = run_tool(
            tools,
            "look_again",
            {"node_id": best.node_id},
            ToolContext(video_id=best.video_id, question=state["question"]),
        )
        if not seen and tools.looker is not None and not _media_there(tools, best.video_id):
            steps.append("look again: the video's file is gone; answering from what is stored")
            return {"looked": True, "steps": steps}
        # Scored as the search's hits were (judged word support), so "covers more" compares
        # like with like.
        words = analysis.keywords
        seen = [
            e.model_copy(
                update={
                    "coverage": sum(
                        v >= WORD_SIMILAR for v in judge.support(words, e.text).values()
                    )
                    / len(words)
                }
            )
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
        elif analysis.intent == "people":
            text, citations = _people_answer(analysis, evidence)
        elif analysis.intent == "first":
            text, citations = _first_answer(analysis, state.get("sides", []))
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
            best = evidence[0]
            if best.kind is NodeKind.SPEECH:
                evidence = [best_sentence(judge, analysis.keywords, best), *evidence[1:]]
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
    words = analysis.keywords
    # "How many times is the colour blue said?" counts "blue": name what was counted.
    target = (
        " ".join(words)
        if analysis.anchor and " ".join(words) in analysis.anchor.lower()
        else (analysis.anchor or " ".join(words))
    )
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
        # Contiguous sightings of a text (one text split across two events) are one appearance;
        # each speech segment is a saying of its own.
        if (
            last
            and e.kind is NodeKind.TEXT
            and last.kind is NodeKind.TEXT
            and last.video_id == e.video_id
            and e.span.start_ms <= last.span.end_ms + 1500
        ):
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


def _people_runs(
    tools: Toolkit, analysis: QuestionAnalysis, video_id: str | None
) -> list[Evidence]:
    """Stretches in which the detectors saw people (or faces): inside an event where they did,
    the stretches the presence detector saw something in the foreground (one visit each), else
    the whole event; stretches that touch across events are one."""
    signal = "faces" if analysis.faces else "people"
    runs: list[tuple[Event, TimeSpan, int]] = []
    for event in tools.event_signals(video_id):
        seen = int(event.signals.get(signal, 0))
        if seen < 1:
            continue
        for part in event.presence or [event.span]:
            if runs:
                first, span, most = runs[-1]
                if first.video_id == event.video_id and part.start_ms <= span.end_ms + 1500:
                    runs[-1] = (first, span.union(part), max(most, seen))
                    continue
            runs.append((event, part, seen))
    noun = "face" if signal == "faces" else "person"
    return [
        Evidence(
            node_id=first.id,
            kind=NodeKind.EVENT,
            video_id=first.video_id,
            span=span,
            text=f"{most} {noun}{'s' if most > 1 else ''} seen at once by the {signal} detector",
            fused=0,
            coverage=1.0,
        )
        for first, span, most in runs
    ]


def _people_answer(analysis: QuestionAnalysis, runs: list[Evidence]) -> tuple[str, list[Citation]]:
    if not runs:
        what = "faces" if analysis.faces else "people"
        return f"The detectors saw no {what} in the video.", []
    who = "A face" if analysis.faces else "A person"
    spans = ", ".join(fmt_span(r.span) for r in runs)
    if analysis.people == "first":
        text = f"{who} is first seen at {fmt_span(runs[0].span)}."
        cited = runs[:1]
    elif analysis.people == "count":
        n = len(runs)
        text = (
            f"{who} comes into view {n} time{'s' if n != 1 else ''} (stretches the detector "
            f"saw without a break): {spans}."
        )
        cited = runs
    else:
        text = f"{'Yes: ' if analysis.people == 'any' else ''}{who} is seen at {spans}."
        cited = runs
    rest = [w for w in analysis.keywords if w not in PEOPLE_WORDS and w not in _GENERIC_VERBS]
    if rest:
        text += (
            f" Whether that matches “{' '.join(rest)}” cannot be checked without a VLM: the "
            "offline detectors find people and faces only."
        )
    return text, [_cite(r) for r in cited]


_GENERIC_VERBS = frozenset(
    """see seen come comes came show shows showed standing stand stands appear appears
    visible video someone's close up""".split()
)


def _first_answer(
    analysis: QuestionAnalysis, sides: list[Evidence | None]
) -> tuple[str, list[Citation]]:
    """Which of two things came first; with one unknown, what is known and which is not."""
    a, b = ([*sides, None, None])[:2]
    name_a, name_b = ([*analysis.sides, "", ""])[:2]
    if a is None and b is None:
        return NOT_FOUND, []
    if a is None or b is None:
        known, known_name = (a, name_a) if a is not None else (b, name_b)
        unknown_name = name_b if a is not None else name_a
        assert known is not None
        return (
            f"Only one side is in the video: {known_name} at {fmt_span(known.span)} "
            f"(“{known.text}”); nothing matches “{unknown_name}”, so their order cannot be told.",
            [_cite(known)],
        )
    first, second = (a, b) if a.span.start_ms <= b.span.start_ms else (b, a)
    if analysis.anchor:  # "Was A before or after B?": about A
        relation = "before" if a is first else "after"
        text = (
            f"{name_a[:1].upper()}{name_a[1:]} {fmt_span(a.span)} (“{a.text}”) came {relation} "
            f"{name_b} {fmt_span(b.span)} (“{b.text}”)."
        )
        return text, [_cite(a), _cite(b)]
    name_first = name_a if first is a else name_b
    name_second = name_b if first is a else name_a
    text = (
        f"{name_first[:1].upper()}{name_first[1:]} came first, at {fmt_span(first.span)} "
        f"(“{first.text}”); {name_second} followed at {fmt_span(second.span)} (“{second.text}”)."
    )
    return text, [_cite(first), _cite(second)]

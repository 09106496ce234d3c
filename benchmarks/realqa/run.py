"""Run the real-footage dev set through the agent and score it per question kind.

report = run_realqa(service, media_root=Path("../shared/media"), work=Path("/tmp/realqa"))
print(render(report))

Every answer comes from the LangGraph agent (the policy the settings name), never from a
shortcut. A question is right when its "found" matches the truth and, when found, the first
citation overlaps a truth span, every word group in `contains` is in the answer, and a count
question states the right number.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from benchmarks.realqa.compose import compose_video
from benchmarks.realqa.devset import DevSet, Question
from graph_schema import TimeSpan

_NUMBER_WORDS = {
    "one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip


class Graded(BaseModel):
    id: str
    kind: str
    needs_vlm: bool
    question: str
    answer: str
    found: bool
    expected_found: bool
    correct: bool
    iou: float | None = Field(None, description="first citation vs the best truth span")
    why: str = Field("", description="what was wrong, when it was")
    policy: str = ""
    seconds: float = 0.0


class KindScore(BaseModel):
    kind: str
    needs_vlm: bool
    questions: int
    correct: int
    mean_iou: float | None

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else 0.0


class RealQAReport(BaseModel):
    video_id: str
    ingest_seconds: float
    ingest_x_realtime: float
    graded: list[Graded]
    kinds: list[KindScore]
    overall: float
    overall_without_vlm: float
    not_found_precision: float
    not_found_recall: float
    policy: str


def iou(a: TimeSpan, b: TimeSpan) -> float:
    inter = max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))
    union = max(a.end_ms, b.end_ms) - min(a.start_ms, b.start_ms)
    return inter / union if union else 0.0


def stated_numbers(text: str) -> set[int]:
    found = {int(n) for n in re.findall(r"\b\d+\b", text)}
    found |= {v for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text, re.I)}
    return found


def grade(q: Question, answer_text: str, found: bool, cited: list[TimeSpan]) -> Graded:
    why = ""
    best_iou: float | None = None
    if found != q.found:
        why = "answered" if found else "said not found"
    elif q.found:
        first = cited[0] if cited else None
        if first is None:
            why = "no citation"
        else:
            best_iou = max(iou(first, t) for t in q.truth)
            if not any(first.overlaps(t) for t in q.truth):
                why = (
                    f"first citation {first.start_ms / 1000:.0f}-{first.end_ms / 1000:.0f} s misses"
                )
        low = answer_text.lower()
        missing = [g for g in q.contains if not any(w.lower() in low for w in g)]
        if not why and missing:
            why = f"answer lacks {missing}"
        if not why and q.count is not None and q.count not in stated_numbers(answer_text):
            why = f"count is not {q.count}"
    return Graded(
        id=q.id,
        kind=q.kind,
        needs_vlm=q.needs_vlm,
        question=q.question,
        answer=answer_text,
        found=found,
        expected_found=q.found,
        correct=not why,
        iou=best_iou,
        why=why,
    )


def score(graded: list[Graded]) -> tuple[list[KindScore], float, float, float, float]:
    by_kind: dict[str, list[Graded]] = defaultdict(list)
    for g in graded:
        by_kind[g.kind].append(g)
    kinds = []
    for kind, items in by_kind.items():
        ious = [g.iou for g in items if g.iou is not None]
        kinds.append(
            KindScore(
                kind=kind,
                needs_vlm=all(g.needs_vlm for g in items),
                questions=len(items),
                correct=sum(g.correct for g in items),
                mean_iou=sum(ious) / len(ious) if ious else None,
            )
        )
    overall = sum(g.correct for g in graded) / len(graded)
    offline = [g for g in graded if not g.needs_vlm]
    overall_offline = sum(g.correct for g in offline) / max(1, len(offline))
    # Over the questions the offline tools can answer: a VLM question said "not found" offline
    # is the honest answer there, not a wrong "not found" (the table counts it wrong anyway).
    said_nf = [g for g in offline if not g.found]
    truly_absent = [g for g in offline if not g.expected_found]
    precision = sum(not g.expected_found for g in said_nf) / len(said_nf) if said_nf else 1.0
    recall = sum(not g.found for g in truly_absent) / len(truly_absent) if truly_absent else 1.0
    return kinds, overall, overall_offline, precision, recall


def run_realqa(
    service: object, *, media_root: Path, work: Path, devset: DevSet | None = None
) -> RealQAReport:
    """Compose (cached), ingest (resumes), and ask every question through the agent."""
    from agents.graph import agent_for, ask
    from avas.service import Service

    assert isinstance(service, Service)
    devset = devset or DevSet.load()
    video = compose_video(devset, media_root=media_root, out=work)
    stored = service.store.get_video(devset.video_name)
    ingest_s, x_realtime = 0.0, 0.0
    if stored is None or stored.status != "complete":
        t0 = time.perf_counter()
        report = service.ingest(video, name=devset.video_name)
        ingest_s, x_realtime = time.perf_counter() - t0, report.x_realtime
    agent = agent_for(service)
    graded = []
    policy = ""
    for q in devset.questions:
        t1 = time.perf_counter()
        answer = ask(agent, q.question, video_id=devset.video_name)
        g = grade(q, answer.text, answer.found, [c.span for c in answer.citations])
        g.policy = policy = answer.policy
        g.seconds = time.perf_counter() - t1
        graded.append(g)
    kinds, overall, offline, precision, recall = score(graded)
    return RealQAReport(
        video_id=devset.video_name,
        ingest_seconds=ingest_s,
        ingest_x_realtime=x_realtime,
        graded=graded,
        kinds=kinds,
        overall=overall,
        overall_without_vlm=offline,
        not_found_precision=precision,
        not_found_recall=recall,
        policy=policy,
    )


def render(report: RealQAReport, *, details: bool = True) -> str:
    lines = [
        f"real-footage dev set: {len(report.graded)} questions, answered by the agent "
        f"({report.policy}); ingest {report.ingest_seconds:.0f} s "
        f"({report.ingest_x_realtime:.1f}x real time; 0 when it was already stored)",
        "",
        "| kind | questions | correct | accuracy | mean IoU | note |",
        "|---|---|---|---|---|---|",
    ]
    for k in sorted(report.kinds, key=lambda k: (k.needs_vlm, k.kind)):
        note = "needs a VLM (not in the offline bar)" if k.needs_vlm else ""
        m_iou = f"{k.mean_iou:.2f}" if k.mean_iou is not None else "-"
        lines.append(
            f"| {k.kind} | {k.questions} | {k.correct} | {k.accuracy:.2f} | {m_iou} | {note} |"
        )
    lines += [
        "",
        f"overall {report.overall:.3f}; without the VLM kinds {report.overall_without_vlm:.3f}; "
        f'"not found" precision {report.not_found_precision:.2f}, '
        f"recall {report.not_found_recall:.2f} (over the kinds that need no VLM)",
    ]
    if details:
        lines.append("")
        for g in report.graded:
            mark = "ok " if g.correct else "BAD"
            lines.append(f"{mark} {g.id} {g.question}")
            lines.append(f"      -> {g.answer[:160]}" + (f"   [{g.why}]" if g.why else ""))
    return "\n".join(lines)

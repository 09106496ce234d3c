"""Run a benchmark through AVAS: ingest each video once, answer, append, resume, summarise.

summary = run_benchmark("needle", Path("n.meta.jsonl"), Path("videos"), Path("out"), service)
summary.score.headline  # accuracy; out/predictions.jsonl, out/summary.json, out/summary.png
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from benchmarks.harness.datasets import BenchQuestion, load_lvbench, load_mlvu, load_videomme
from benchmarks.harness.scoring import (
    BenchScore,
    GroundingScore,
    grounding,
    score_lvbench,
    score_mlvu,
    score_videomme,
)
from graph_schema.models import TimeSpan

if TYPE_CHECKING:
    from agents.tools import Toolkit
    from avas.service import Service

BenchKind = Literal["lvbench", "videomme", "mlvu", "needle"]
VIDEO_SUFFIXES = ("", ".mp4", ".mkv", ".webm", ".mov", ".avi")
PREDICTIONS = "predictions.jsonl"
INGESTS = "ingest.jsonl"


class CitedSpan(BaseModel):
    start_ms: int
    end_ms: int
    kind: str
    text: str


class Prediction(BaseModel):
    """One line of predictions.jsonl."""

    uid: str
    video: str
    letter: str = Field(description='"" when the question could not be answered')
    option: str = ""
    rationale: str = ""
    citations: list[CitedSpan] = Field(default_factory=list)
    seconds: float = 0.0
    guessed: bool = False
    answered_by: str = Field(
        "", description="the agent policy that answered, or the option scorer when it guessed"
    )
    error: str | None = None


class IngestTiming(BaseModel):
    """One line of ingest.jsonl: the first (real) ingest of a video, kept across restarts."""

    video: str
    video_id: str
    seconds: float
    media_s: float
    x_realtime: float


class Timings(BaseModel):
    ingest: list[IngestTiming] = Field(default_factory=list)
    seconds_per_question_mean: float = 0.0
    seconds_per_question_median: float = 0.0
    questions_timed: int = 0


class RunSummary(BaseModel):
    benchmark: str
    annotations: str
    questions: int
    answered: int
    unanswered: int
    guessed: int = Field(0, description="answers the option scorer picked after the agent had none")
    by_agent_correct: int = Field(0, description="right answers that were not guesses")
    errors: int
    missing_videos: list[str] = Field(default_factory=list)
    failed_videos: dict[str, str] = Field(default_factory=dict)
    score: BenchScore
    variants: dict[str, BenchScore] = Field(default_factory=dict)
    grounding: GroundingScore | None = None
    timings: Timings = Field(default_factory=Timings)
    chart: str | None = None
    notes: list[str] = Field(default_factory=list)

    def comparable(self) -> dict[str, Any]:
        """Everything but wall-clock numbers: equal for a resumed and an uninterrupted run."""
        return self.model_dump(exclude={"timings", "chart", "notes"})


def load_questions(kind: BenchKind, annotations: Path) -> list[BenchQuestion]:
    if kind in ("lvbench", "needle"):
        return load_lvbench(annotations)
    if kind == "videomme":
        return load_videomme(annotations)
    return load_mlvu(annotations)


def read_predictions(path: Path) -> dict[str, Prediction]:
    """Predictions so far; a line cut short by a kill (or any unreadable line) is dropped and the
    file rewritten without it, so the next append starts on a fresh line."""
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    found: dict[str, Prediction] = {}
    good: list[str] = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            prediction = Prediction.model_validate_json(line)
        except ValidationError:
            continue
        found[prediction.uid] = prediction
        good.append(line)
    clean = "".join(f"{line}\n" for line in good).encode()
    if clean != raw:
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_bytes(clean)
        os.replace(partial, path)
    return found


def resolve_video(videos_dir: Path, video: str) -> Path | None:
    for suffix in VIDEO_SUFFIXES:
        candidate = videos_dir / f"{video}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _append(path: Path, line: str, lock: threading.Lock) -> None:
    with lock, path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _toolkit(service: Service) -> Toolkit:
    from agents.tools import Toolkit

    # The retriever the agent and `avas find` use (frames and re-ranker when configured).
    return Toolkit(service.store, service.moment_finder(), top_k=service.settings.agent.top_k)


def _answer(agent: Any, tools: Toolkit, q: BenchQuestion, video_id: str) -> Prediction:
    """One question through the agent (the policy the settings name); a guess is marked."""
    from agents.choice import choose_by_agent
    from avas.errors import AvasError

    started = time.perf_counter()
    try:
        choice = choose_by_agent(agent, tools, q.question, q.options, video_id=video_id)
    except AvasError as exc:  # e.g. MLVU's empty question: recorded, counted as wrong
        return Prediction(
            uid=q.uid,
            video=q.video,
            letter="",
            seconds=time.perf_counter() - started,
            error=str(exc),
        )
    return Prediction(
        uid=q.uid,
        video=q.video,
        letter=choice.letter,
        option=choice.option,
        rationale=choice.rationale,
        citations=[
            CitedSpan(start_ms=c.span.start_ms, end_ms=c.span.end_ms, kind=str(c.kind), text=c.text)
            for c in choice.citations
        ],
        seconds=time.perf_counter() - started,
        guessed=choice.guessed,
        answered_by=choice.policy,
    )


def _agent_correct(questions: list[BenchQuestion], predictions: dict[str, Prediction]) -> int:
    """Right answers the agent gave itself (guesses left out)."""
    truth = {q.uid: q.answer_letter for q in questions}
    return sum(
        1
        for uid, p in predictions.items()
        if not p.guessed and p.letter and p.letter == truth.get(uid)
    )


def score_predictions(
    kind: BenchKind, questions: list[BenchQuestion], predictions: dict[str, Prediction]
) -> tuple[BenchScore, dict[str, BenchScore], GroundingScore | None]:
    responses = {uid: p.letter for uid, p in predictions.items()}
    variants: dict[str, BenchScore] = {}
    if kind == "videomme":
        score = score_videomme(questions, responses, blank="exclude")
        variants["lmms-eval"] = score_videomme(questions, responses, blank="count")
    elif kind == "mlvu":
        score = score_mlvu(questions, responses)
    else:
        score = score_lvbench(questions, responses, benchmark=kind)
    pairs: list[tuple[TimeSpan | None, TimeSpan]] = []
    for q in questions:
        p = predictions.get(q.uid)
        if p is None or q.time_reference is None:
            continue
        first = p.citations[0] if p.citations else None
        span = TimeSpan(start_ms=first.start_ms, end_ms=first.end_ms) if first else None
        pairs.append((span, q.time_reference))
    return score, variants, grounding(pairs) if pairs else None


def write_chart(summary: RunSummary, path: Path) -> str | None:
    """A bar chart of per-category accuracy; None (and a note) when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        summary.notes.append("chart skipped: matplotlib is not installed")
        return None
    group = next(iter(summary.score.groups.values()), {})
    labels = ["overall", *group]
    values = [summary.score.overall.accuracy, *(s.accuracy for s in group.values())]
    counts = [summary.score.overall.total, *(s.total for s in group.values())]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(labels)), 4.0))
    bars = ax.bar(range(len(labels)), values, color="#3a6ea5")
    for bar, n in zip(bars, counts, strict=True):
        ax.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    title = f"{summary.benchmark}: {summary.score.headline_name} {summary.score.headline:.3f}"
    if summary.grounding is not None:
        title += f", mean IoU {summary.grounding.mean_iou:.3f}"
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def run_benchmark(
    kind: BenchKind,
    annotations: Path,
    videos_dir: Path,
    out_dir: Path,
    service: Service,
    limit: int | None = None,
    concurrency: int = 1,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Answer every question (skipping those already in predictions.jsonl) and summarise."""
    say = progress or (lambda _msg: None)
    questions = load_questions(kind, Path(annotations))
    if limit is not None:
        questions = questions[:limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    predictions_path = out_dir / PREDICTIONS
    done = read_predictions(predictions_path)
    ingests: dict[str, IngestTiming] = {}
    ingest_path = out_dir / INGESTS
    if ingest_path.is_file():
        for line in ingest_path.read_text(encoding="utf-8").splitlines():
            try:
                timing = IngestTiming.model_validate_json(line)
            except ValidationError:
                continue
            ingests.setdefault(timing.video, timing)

    by_video: dict[str, list[BenchQuestion]] = {}
    for q in questions:
        by_video.setdefault(q.video, []).append(q)
    missing: list[str] = []
    failed: dict[str, str] = {}
    lock = threading.Lock()
    from agents.graph import agent_for

    tools = _toolkit(service)
    agent = agent_for(service)
    for video, video_questions in by_video.items():
        todo = [q for q in video_questions if q.uid not in done]
        path = resolve_video(videos_dir, video)
        if path is None:
            missing.append(video)
            continue
        if not todo:
            continue
        say(f"ingest {video}")
        try:
            report = service.ingest(path, name=Path(video).stem)
        except Exception as exc:  # one bad video must not end a 1,500-question run
            failed[video] = f"{type(exc).__name__}: {exc}"
            continue
        if video not in ingests:
            timing = IngestTiming(
                video=video,
                video_id=report.video_id,
                seconds=report.seconds,
                media_s=report.media_ms / 1000,
                x_realtime=report.x_realtime,
            )
            ingests[video] = timing
            _append(ingest_path, timing.model_dump_json(), lock)

        def work(q: BenchQuestion, video_id: str = report.video_id) -> Prediction:
            prediction = _answer(agent, tools, q, video_id)
            _append(predictions_path, prediction.model_dump_json(), lock)
            return prediction

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for prediction in pool.map(work, todo):
                done[prediction.uid] = prediction
                say(f"{prediction.uid}: {prediction.letter or '-'}")

    asked = {q.uid for q in questions}
    answered = {uid: p for uid, p in done.items() if uid in asked}
    score, variants, grounded = score_predictions(kind, questions, answered)
    seconds = [p.seconds for p in answered.values()]
    summary = RunSummary(
        benchmark=kind,
        annotations=str(annotations),
        questions=len(questions),
        answered=len(answered),
        unanswered=len(questions) - len(answered),
        guessed=sum(p.guessed for p in answered.values()),
        by_agent_correct=_agent_correct(questions, answered),
        errors=sum(p.error is not None for p in answered.values()),
        missing_videos=sorted(missing),
        failed_videos=failed,
        score=score,
        variants=variants,
        grounding=grounded,
        timings=Timings(
            ingest=[ingests[v] for v in by_video if v in ingests],
            seconds_per_question_mean=statistics.fmean(seconds) if seconds else 0.0,
            seconds_per_question_median=statistics.median(seconds) if seconds else 0.0,
            questions_timed=len(seconds),
        ),
    )
    summary.chart = write_chart(summary, out_dir / "summary.png")
    summary_path = out_dir / "summary.json"
    partial = summary_path.with_name(f".summary.json.{os.getpid()}.partial")
    partial.write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    os.replace(partial, summary_path)
    return summary

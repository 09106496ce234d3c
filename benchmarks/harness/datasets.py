"""Benchmark annotations, loaded into one typed question model (validated once, here).

questions = load_lvbench(Path("video_info.meta.jsonl"))
questions[0].options  # ["1636", "1366", "1363", "1633"]; .answer_letter == "D"
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from graph_schema.models import TimeSpan

LETTERS = string.ascii_uppercase

# MLVU's official choice_bench.py: annotation file -> task name, which is also the video folder.
MLVU_TASKS: dict[str, str] = {
    "1_plotQA.json": "plotQA",
    "2_needle.json": "needle",
    "3_ego.json": "ego",
    "4_count.json": "count",
    "5_order.json": "order",
    "6_anomaly_reco.json": "anomaly_reco",
    "7_topic_reasoning.json": "topic_reasoning",
}

_LVBENCH_OPTION = re.compile(r"^\s*\(([A-Z])\)\s?(.*)$")
_VIDEOMME_OPTION = re.compile(r"^\s*([A-Z])\.\s?(.*)$", re.DOTALL)


class BenchQuestion(BaseModel):
    uid: str
    video: str = Field(description="video file name (or key) relative to the videos folder")
    question: str = Field(description="the question stem, options removed")
    options: list[str]
    answer_letter: str | None = Field(description="gold letter; None when no option can match")
    categories: list[str] = Field(default_factory=list)
    duration_s: float | None = None
    time_reference: TimeSpan | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


def parse_clock(text: str) -> int:
    """``"01:23"`` or ``"1:01:23"`` (or plain seconds) -> milliseconds."""
    seconds = 0.0
    for part in text.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return round(seconds * 1000)


def parse_time_reference(text: str | None) -> TimeSpan | None:
    """LVBench's ``"MM:SS-MM:SS"``; None when absent or unreadable."""
    if not text or "-" not in text:
        return None
    start, _, end = text.partition("-")
    try:
        start_ms, end_ms = parse_clock(start), parse_clock(end)
    except ValueError:
        return None
    return TimeSpan(start_ms=start_ms, end_ms=max(start_ms, end_ms))


def format_clock(ms: int) -> str:
    """Milliseconds -> LVBench's ``MM:SS`` (minutes keep counting past 59)."""
    minutes, seconds = divmod(ms // 1000, 60)
    return f"{minutes:02d}:{seconds:02d}"


def split_lvbench_question(text: str) -> tuple[str, list[str]]:
    """``"Q?\\n(A) x\\n(B) y"`` -> ``("Q?", ["x", "y"])``; options are the ``(X)`` lines."""
    stem: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        match = _LVBENCH_OPTION.match(line)
        if match and match.group(1) == LETTERS[len(options)]:
            options.append(match.group(2).strip())
        elif options:  # an option that wraps onto a second line
            options[-1] = f"{options[-1]} {line.strip()}".strip()
        else:
            stem.append(line)
    return "\n".join(stem).strip(), options


def load_lvbench(path: Path) -> list[BenchQuestion]:
    """LVBench's ``video_info.meta.jsonl`` (one video per line), or a needle file in its format."""
    questions: list[BenchQuestion] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        video = json.loads(line)
        info = video.get("video_info") or {}
        minutes = info.get("duration_minutes")
        for qa in video["qa"]:
            stem, options = split_lvbench_question(qa["question"])
            answer = str(qa.get("answer") or "").strip() or None
            questions.append(
                BenchQuestion(
                    uid=str(qa["uid"]),
                    video=str(video.get("video") or video["key"]),
                    question=stem,
                    options=options,
                    answer_letter=answer,
                    categories=list(qa.get("question_type") or []),
                    duration_s=float(minutes) * 60 if minutes is not None else None,
                    time_reference=parse_time_reference(qa.get("time_reference")),
                    extra={"key": video["key"], "video_type": video.get("type")},
                )
            )
    return questions


def _videomme_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise ImportError(
                f"reading {path} needs pyarrow (pip install pyarrow), "
                "or convert the parquet to JSON Lines with the same columns"
            ) from exc
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("["):
        loaded: list[dict[str, Any]] = json.loads(text)
        return loaded
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_videomme(path: Path) -> list[BenchQuestion]:
    """lmms-lab/Video-MME rows: parquet (needs pyarrow), or JSON / JSON Lines with its fields."""
    questions: list[BenchQuestion] = []
    for row in _videomme_rows(Path(path)):
        options = []
        for raw in row["options"]:
            match = _VIDEOMME_OPTION.match(str(raw))
            options.append(match.group(2).strip() if match else str(raw).strip())
        task = str(row.get("task_type") or "")
        questions.append(
            BenchQuestion(
                uid=str(row["question_id"]),
                video=f"{row['videoID']}.mp4",
                question=str(row["question"]).strip(),
                options=options,
                answer_letter=str(row.get("answer") or "").strip() or None,
                categories=[task] if task else [],
                extra={
                    "duration": row.get("duration"),
                    "domain": row.get("domain"),
                    "sub_category": row.get("sub_category"),
                    "video_id": row.get("video_id"),
                },
            )
        )
    return questions


def mlvu_gold_letter(candidates: list[str], answer: str) -> str | None:
    """The official rule: index of the answer text, the LAST one if it repeats; None if absent."""
    gold: str | None = None
    for i, candidate in enumerate(candidates):
        if candidate == answer:
            gold = LETTERS[i]
    return gold


def _mlvu_files(source: Path | list[Path]) -> list[Path]:
    if isinstance(source, list):
        return source
    if source.is_dir():
        return [source / name for name in MLVU_TASKS if (source / name).is_file()]
    return [source]


def load_mlvu(source: Path | list[Path]) -> list[BenchQuestion]:
    """MLVU's 7 multiple-choice files (a folder holding them, one file, or a list of files)."""
    questions: list[BenchQuestion] = []
    for path in _mlvu_files(source):
        task = MLVU_TASKS.get(path.name)
        if task is None:
            raise ValueError(f"{path.name} is not an MLVU multiple-choice file: {list(MLVU_TASKS)}")
        for i, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            candidates = [str(c) for c in record["candidates"]]
            questions.append(
                BenchQuestion(
                    uid=f"{task}/{i}",
                    video=f"{task}/{record['video']}",
                    question=str(record["question"]),
                    options=candidates,
                    answer_letter=mlvu_gold_letter(candidates, str(record["answer"])),
                    categories=[task],
                    duration_s=float(record["duration"]),
                    extra={
                        "answer_text": record["answer"],
                        "question_type": record["question_type"],
                    },
                )
            )
    return questions

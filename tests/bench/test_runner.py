"""End to end on a generated 2-minute needle benchmark: run, kill -9 (simulated), resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import Settings
from avas.service import Service
from benchmarks.harness.needle import NeedleBenchmark, make_needle_benchmark
from benchmarks.harness.runner import PREDICTIONS, RunSummary, read_predictions, run_benchmark


@pytest.fixture(scope="module")
def bench_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A store of its own: the session store must keep exactly the one video other tests expect."""
    service = Service(Settings(home=tmp_path_factory.mktemp("bench-home")))
    yield service
    service.close()


@pytest.fixture(scope="module")
def needle(tmp_path_factory: pytest.TempPathFactory) -> NeedleBenchmark:
    return make_needle_benchmark(tmp_path_factory.mktemp("needle"), minutes=2, seed=0)


@pytest.fixture(scope="module")
def annotations_file(needle: NeedleBenchmark) -> Path:
    """The needle's questions plus one video whose file does not exist."""
    absent = {
        "key": "absent-video",
        "type": "needle",
        "qa": [
            {
                "uid": "absent-1",
                "question": "What is shown?\n(A) a\n(B) b\n(C) c\n(D) d",
                "answer": "A",
                "question_type": ["entity recognition"],
                "time_reference": "00:01-00:02",
            }
        ],
        "video_info": {"duration_minutes": 1.0},
    }
    path = needle.annotations.with_name("with-absent.meta.jsonl")
    path.write_text(needle.annotations.read_text() + json.dumps(absent) + "\n")
    return path


def test_needle_generation_is_deterministic(needle: NeedleBenchmark, tmp_path: Path) -> None:
    import random

    from benchmarks.harness.needle import _plan

    first = _plan(2, random.Random("needle:2:0"))[0]
    again = _plan(2, random.Random("needle:2:0"))[0]
    assert first == again
    qa = json.loads(needle.annotations.read_text())["qa"]
    types = {t for q in qa for t in q["question_type"]}
    assert {"key information retrieval", "entity recognition", "temporal grounding"} <= types
    assert all(q["answer"] in "ABCD" and q["question"].count("\n(") == 4 for q in qa)


def test_run_resumes_after_kill(
    needle: NeedleBenchmark, annotations_file: Path, bench_service: Service, tmp_path: Path
) -> None:
    service = bench_service
    videos = needle.video.parent
    full: RunSummary = run_benchmark("needle", annotations_file, videos, tmp_path / "full", service)
    assert full.missing_videos == ["absent-video"]
    assert full.questions == needle.questions + 1
    assert (full.answered, full.unanswered) == (needle.questions, 1)
    assert full.score.overall.total == needle.questions
    assert full.grounding is not None and full.grounding.questions == needle.questions
    assert 0.0 <= full.grounding.mean_iou <= 1.0
    assert (tmp_path / "full" / "summary.json").is_file()
    # Every answer came from the agent; the option scorer only ever answers as a marked guess.
    predictions = read_predictions(tmp_path / "full" / PREDICTIONS).values()
    by_agent = [p for p in predictions if not p.guessed]
    assert by_agent, "the agent answered none of the needle questions itself"
    assert {p.answered_by for p in by_agent} == {"offline-extractive"}
    assert all(p.citations for p in by_agent)
    assert all("guess" in p.answered_by for p in predictions if p.guessed)
    assert full.guessed == sum(p.guessed for p in predictions)

    # A kill -9 after the first prediction, mid-way through writing the second line.
    resumed_dir = tmp_path / "resumed"
    resumed_dir.mkdir()
    first_line = (tmp_path / "full" / PREDICTIONS).read_text().splitlines()[0]
    (resumed_dir / PREDICTIONS).write_text(first_line + '\n{"uid": "needle-2m-s0-2", "vid')
    resumed = run_benchmark("needle", annotations_file, videos, resumed_dir, service)

    assert resumed.comparable() == full.comparable()
    lines = (resumed_dir / PREDICTIONS).read_text().splitlines()
    assert len(lines) == needle.questions
    assert len(read_predictions(resumed_dir / PREDICTIONS)) == needle.questions
    saved = json.loads((resumed_dir / "summary.json").read_text())
    assert saved["score"] == json.loads((tmp_path / "full" / "summary.json").read_text())["score"]

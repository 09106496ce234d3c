"""Official scoring rules on crafted cases (their quirks included) and on the real MLVU files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.harness.datasets import (
    BenchQuestion,
    load_lvbench,
    load_mlvu,
    load_videomme,
    mlvu_gold_letter,
    parse_time_reference,
)
from benchmarks.harness.scoring import (
    extract_letter,
    grounding,
    lvbench_letter,
    mlvu_letter,
    score_lvbench,
    score_mlvu,
    score_videomme,
    videomme_extract,
)
from graph_schema.models import TimeSpan

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
MLVU_DIR = SHARED / "data" / "mlvu"


def _write_lvbench(path: Path) -> Path:
    video = {
        "key": "Cm73ma6Ibcs",
        "type": "cartoon",
        "qa": [
            {
                "uid": "55",
                "question": "What year appears?\n(A) 1636\n(B) 1366\n(C) 1363\n(D) 1633",
                "answer": "D",
                "question_type": ["key information retrieval", "entity recognition"],
                "time_reference": "00:15-00:19",
            },
            {
                "uid": "56",
                "question": "Who speaks first?\n(A) a cat\n(B) a dog\n(C) a bird\n(D) a fish",
                "answer": "B",
                "question_type": ["entity recognition"],
                "time_reference": "01:02:03-01:02:10",
            },
            {
                "uid": "57",
                "question": "What happens?\n(A) x\n(B) y\n(C) z\n(D) w",
                "answer": "A",
                "question_type": ["event understanding"],
                "time_reference": "",
            },
        ],
        "video_info": {"duration_minutes": 70.5, "fps": 30.0},
    }
    path.write_text(json.dumps(video) + "\n", encoding="utf-8")
    return path


def test_lvbench_loader_parses_options_and_time(tmp_path: Path) -> None:
    questions = load_lvbench(_write_lvbench(tmp_path / "video_info.meta.jsonl"))
    first = questions[0]
    assert first.question == "What year appears?"
    assert first.options == ["1636", "1366", "1363", "1633"]
    assert first.answer_letter == "D"
    assert first.time_reference == TimeSpan(start_ms=15_000, end_ms=19_000)
    assert first.duration_s == pytest.approx(70.5 * 60)
    assert questions[1].time_reference == TimeSpan(start_ms=3_723_000, end_ms=3_730_000)
    assert questions[2].time_reference is None


def test_lvbench_multi_category_and_answered_only(tmp_path: Path) -> None:
    questions = load_lvbench(_write_lvbench(tmp_path / "video_info.meta.jsonl"))
    # 55 right (counts in KIR and ER), 56 wrong, 57 not answered: excluded from everything.
    score = score_lvbench(questions, {"55": "(D) 1633", "56": "C"})
    assert (score.overall.correct, score.overall.total) == (1, 2)
    types = score.groups["question_type"]
    assert (
        types["key information retrieval"].correct,
        types["key information retrieval"].total,
    ) == (
        1,
        1,
    )
    assert (types["entity recognition"].correct, types["entity recognition"].total) == (1, 2)
    assert "event understanding" not in types
    assert score.headline == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("reply", "letter"),
    [("(B) 1366", "B"), ("  C  ", "C"), ("B) foo", "B"), ("The answer is D", "T"), ("", "")],
)
def test_lvbench_answer_util(reply: str, letter: str) -> None:
    assert lvbench_letter(reply) == letter


def _videomme_rows(path: Path) -> Path:
    rows = [
        {
            "video_id": "001",
            "duration": "short",
            "domain": "Knowledge",
            "sub_category": "Humanity & History",
            "videoID": "fFjv93ACGo8",
            "question_id": f"001-{i}",
            "task_type": task,
            "question": "Q?",
            "options": ["A. one", "B. two", "C. three", "D. four"],
            "answer": answer,
        }
        for i, (task, answer) in enumerate(
            [("Counting Problem", "C"), ("Counting Problem", "A"), ("OCR Problems", "B")], start=1
        )
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_videomme_blank_excluded_and_counted(tmp_path: Path) -> None:
    questions = load_videomme(_videomme_rows(tmp_path / "videomme.jsonl"))
    assert questions[0].options == ["one", "two", "three", "four"]
    assert questions[0].video == "fFjv93ACGo8.mp4"
    responses = {"001-1": "The best answer is C.", "001-2": "", "001-3": "B"}
    official = score_videomme(questions, responses, blank="exclude")
    lmms = score_videomme(questions, responses, blank="count")
    assert (official.overall.correct, official.overall.total, official.excluded) == (2, 2, 1)
    assert (lmms.overall.correct, lmms.overall.total) == (2, 3)
    assert official.groups["duration"]["short"].total == 2
    assert lmms.groups["task_type"]["Counting Problem"].total == 2
    assert official.groups["task_type"]["Counting Problem"].total == 1


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("The best answer is B", "B"),
        ("C", "C"),
        ("a long reply without any capital option letter in it at all, none", ""),
        ("", ""),
        # The official prefix list misses two commas, so "The best option is" is not stripped
        # and its capital T is not an option letter; the first A-D found is what counts.
        ("The best option is D", "D"),
    ],
)
def test_videomme_extraction(reply: str, letter: str) -> None:
    assert videomme_extract(reply) == letter


def test_mlvu_gold_letter_quirks() -> None:
    assert mlvu_gold_letter(["Three", "Two", "Three", "One"], "Three") == "C"  # last index wins
    assert mlvu_gold_letter(["a", "b", "c", "d"], "missing") is None
    assert mlvu_gold_letter(["", "", "", ""], "") == "D"


def test_mlvu_scoring_per_task_and_m_avg(tmp_path: Path) -> None:
    plot = [
        {"video": "m1.mp4", "duration": 100, "question": "Q1", "candidates": ["x", "y", "x", "z"],
         "answer": "x", "question_type": "plotQA"},
        {"video": "m2.mp4", "duration": 100, "question": "Q2", "candidates": ["x", "y", "w", "z"],
         "answer": "y", "question_type": "plotQA"},
    ]  # fmt: skip
    needle = [
        {"video": "n1.mp4", "duration": 50, "question": "Q3", "candidates": ["p", "q", "r", "s"],
         "answer": "absent", "question_type": "findNeedle"},
    ]  # fmt: skip
    (tmp_path / "1_plotQA.json").write_text(json.dumps(plot))
    (tmp_path / "2_needle.json").write_text(json.dumps(needle))
    questions = load_mlvu(tmp_path)
    assert [q.video for q in questions] == ["plotQA/m1.mp4", "plotQA/m2.mp4", "needle/n1.mp4"]
    assert [q.answer_letter for q in questions] == ["C", "B", None]
    # "(C) x": the char before ")" is C; "A" for a duplicated answer is wrong (gold is C);
    # the needle item can never be right.
    score = score_mlvu(questions, {"plotQA/0": "(C) x", "plotQA/1": "B", "needle/0": "A"})
    assert score.groups["task"]["plotQA"].correct == 2
    assert score.groups["task"]["needle"].correct == 0
    assert score.headline == pytest.approx((1.0 + 0.0) / 2)
    assert score.headline_name == "M-Avg"


@pytest.mark.parametrize(
    ("reply", "letter"), [("(B) dog", "B"), ("B", "B"), ("answer B) x", "B"), (")AB", "B")]
)
def test_mlvu_parenthesis_rule(reply: str, letter: str) -> None:
    assert mlvu_letter(reply) == letter


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("The answer is (B).", "B"),
        ("B", "B"),
        ("b) foo", "B"),
        ("Option C", "C"),
        ("**D**", "D"),
        ("Answer: A", "A"),
        ("I think C is right", "C"),
        ("A man walks in", None),
        ("E", None),
        ("", None),
    ],
)
def test_extract_letter_free_form(reply: str, letter: str | None) -> None:
    assert extract_letter(reply, 4) == letter


def test_grounding_iou() -> None:
    ref = TimeSpan(start_ms=10_000, end_ms=20_000)
    score = grounding([(TimeSpan(start_ms=10_000, end_ms=20_000), ref), (None, ref)])
    assert score.mean_iou == pytest.approx(0.5)
    assert score.recall_at_05 == pytest.approx(0.5)
    assert parse_time_reference("bad") is None


@pytest.mark.shared
def test_real_mlvu_files_documented_counts() -> None:
    if not MLVU_DIR.is_dir():
        pytest.skip(f"{MLVU_DIR} is absent: ../shared exists only on the project's machines")
    questions = load_mlvu(MLVU_DIR)
    assert len(questions) == 2175
    no_gold = [q for q in questions if q.answer_letter is None]
    assert sorted(q.video for q in no_gold) == ["needle/needle_4.mp4", "needle/needle_5.mp4"]
    duplicated = [q for q in questions if q.options.count(str(q.extra["answer_text"])) > 1]
    assert len(duplicated) == 6
    empty = [q for q in questions if not q.question]
    assert [q.video for q in empty] == ["topic_reasoning/movie101_89.mp4"]
    counts = {task: sum(task in q.categories for q in questions) for task in ("plotQA", "count")}
    assert counts == {"plotQA": 539, "count": 206}
    assert all(isinstance(q, BenchQuestion) and len(q.options) == 4 for q in questions)

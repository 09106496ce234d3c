"""Official scoring rules of LVBench, Video-MME and MLVU, plus a robust letter extractor.

score = score_lvbench(questions, {"55": "D"})
score.overall.accuracy  # 1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, Field

from benchmarks.harness.datasets import LETTERS, BenchQuestion
from graph_schema.models import TimeSpan


class CategoryScore(BaseModel):
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def add(self, ok: bool) -> None:
        self.correct += int(ok)
        self.total += 1


class BenchScore(BaseModel):
    benchmark: str
    rule: str = Field(description="which official rule produced these numbers")
    headline_name: str = "Overall"
    headline: float = 0.0
    overall: CategoryScore = Field(default_factory=CategoryScore)
    # group name ("question_type", "duration", "task") -> category -> score
    groups: dict[str, dict[str, CategoryScore]] = Field(default_factory=dict)
    excluded: int = Field(0, description="responses the rule leaves out of the denominator")


def _bucket(score: BenchScore, group: str, category: str) -> CategoryScore:
    return score.groups.setdefault(group, {}).setdefault(category, CategoryScore())


# ---------------------------------------------------------------- free-form -> letter


_MARKUP = re.compile(r"[*_`#]")


def extract_letter(text: str | None, n_options: int = 4) -> str | None:
    """The option letter a free-form reply picks ("The answer is (B).", "b) foo", "**D**")."""
    if not text:
        return None
    valid = LETTERS[: max(1, min(n_options, len(LETTERS)))]
    t = _MARKUP.sub("", text).strip()
    cls = f"[{valid}{valid.lower()}]"
    patterns = (
        rf"^\(?({cls})\)?[.:]?$",  # "B", "(b)", "C."
        rf"^\(?({cls})[).:]\s",  # "b) foo", "B. foo", "(C) foo"
        # "The answer is (B)", "Answer: C", "Option D", "the correct choice is B"
        rf"(?i:answer|option|choice)\s*(?i:is|would be|:|-)?\s*:?\s*(?i:option\s*)?"
        rf"\(?([{valid}])\b",
        rf"\(({cls})\)",  # "(B)" anywhere
    )
    for pattern in patterns:
        match = re.search(pattern, t)
        if match:
            return match.group(1).upper()
    # Last resort: a lone capital ("I think C is right"), but not the words "A ..." / "I ...".
    for match in re.finditer(rf"(?<![A-Za-z'])([{valid}])(?![A-Za-z'])", t):
        word_follows = re.match(r"\s+[a-z]", t[match.end() :]) is not None
        if not (match.group(1) in "AI" and word_follows):
            return match.group(1)
    return None


# ---------------------------------------------------------------- LVBench


def lvbench_letter(text: str) -> str:
    """lvbench/utils/answer_util.py: strip, cut at ")", after "(", first token, first char."""
    s = text.strip()
    s = s.split(")")[0]
    if "(" in s:
        s = s.split("(", 1)[1]
    tokens = s.split()
    return tokens[0][0] if tokens else ""


def score_lvbench(
    questions: Iterable[BenchQuestion], answers: Mapping[str, str], *, benchmark: str = "lvbench"
) -> BenchScore:
    """Exact letter match; only uids in ``answers`` count; a question adds to each of its types."""
    score = BenchScore(benchmark=benchmark, rule="lvbench compute_accuracy (answered only)")
    for q in questions:
        if q.uid not in answers:
            continue
        ok = q.answer_letter is not None and lvbench_letter(answers[q.uid]) == q.answer_letter
        score.overall.add(ok)
        for category in q.categories:
            _bucket(score, "question_type", category).add(ok)
        if q.extra.get("video_type"):
            _bucket(score, "video_type", str(q.extra["video_type"])).add(ok)
    score.headline = score.overall.accuracy
    return score


# ---------------------------------------------------------------- Video-MME

# Video-MME's eval_your_results.py list, verbatim: the two missing commas are in the original and
# make "The best option isThe correct option is" one prefix; fixing them would change scores.
_VIDEOMME_PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option isThe correct option is",
    "Best answer:Best option:",
)


def videomme_extract(text: str) -> str:
    """The official extract_characters_regex: "" when no letter A-D can be found."""
    s = text.strip()
    for prefix in _VIDEOMME_PREFIXES:
        s = s.replace(prefix, "")
    if len(s.split()) > 10 and not re.search("[ABCD]", s):
        return ""
    match = re.search(r"[ABCD]", s)
    return match[0] if match else ""


VideoMMEBlank = Literal["exclude", "count"]


def score_videomme(
    questions: Iterable[BenchQuestion], responses: Mapping[str, str], *, blank: VideoMMEBlank
) -> BenchScore:
    """``blank="exclude"``: the official script (an unextractable reply is not counted);
    ``blank="count"``: lmms-eval's variant (every reply counts, a blank one as wrong)."""
    rule = "videomme official (blank excluded)" if blank == "exclude" else "lmms-eval (all counted)"
    score = BenchScore(benchmark="videomme", rule=rule)
    for q in questions:
        if q.uid not in responses:
            continue
        letter = videomme_extract(responses[q.uid])
        if letter == "" and blank == "exclude":
            score.excluded += 1
            continue
        ok = q.answer_letter is not None and letter == q.answer_letter
        score.overall.add(ok)
        if q.extra.get("duration"):
            _bucket(score, "duration", str(q.extra["duration"])).add(ok)
        for category in q.categories:
            _bucket(score, "task_type", category).add(ok)
        if q.extra.get("domain"):
            _bucket(score, "domain", str(q.extra["domain"])).add(ok)
    score.headline = score.overall.accuracy
    return score


# ---------------------------------------------------------------- MLVU


def mlvu_letter(text: str) -> str:
    """choice_bench.py: the character just before the first ")", else the raw reply."""
    if ")" in text:
        # Verbatim `pred[pred.index(")") - 1]`: a reply starting with ")" yields its LAST char.
        return text[text.index(")") - 1]
    return text


def score_mlvu(questions: Iterable[BenchQuestion], responses: Mapping[str, str]) -> BenchScore:
    """Per-task accuracy; M-Avg = unweighted mean over the tasks present."""
    score = BenchScore(benchmark="mlvu", rule="mlvu choice_bench", headline_name="M-Avg")
    for q in questions:
        if q.uid not in responses:
            continue
        ok = q.answer_letter is not None and mlvu_letter(responses[q.uid]) == q.answer_letter
        score.overall.add(ok)
        for category in q.categories:
            _bucket(score, "task", category).add(ok)
    tasks = score.groups.get("task", {})
    score.headline = sum(t.accuracy for t in tasks.values()) / len(tasks) if tasks else 0.0
    return score


# ---------------------------------------------------------------- temporal grounding


class GroundingScore(BaseModel):
    questions: int = 0
    mean_iou: float = 0.0
    recall_at_03: float = Field(0.0, description="share with IoU >= 0.3")
    recall_at_05: float = Field(0.0, description="share with IoU >= 0.5")


def grounding(pairs: Iterable[tuple[TimeSpan | None, TimeSpan]]) -> GroundingScore:
    """IoU of each predicted span (None = no citation = 0) against its reference span."""
    ious = [pred.iou(ref) if pred is not None else 0.0 for pred, ref in pairs]
    if not ious:
        return GroundingScore()
    n = len(ious)
    return GroundingScore(
        questions=n,
        mean_iou=sum(ious) / n,
        recall_at_03=sum(i >= 0.3 for i in ious) / n,
        recall_at_05=sum(i >= 0.5 for i in ious) / n,
    )

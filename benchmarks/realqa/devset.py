"""The real-footage dev set: how its video is composed, and its questions with truth spans.

devset = DevSet.load()            # benchmarks/realqa/devset.yaml
devset.questions[0].truth         # -> [TimeSpan(...)], in the composed video's time
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from graph_schema import TimeSpan

DEVSET = Path(__file__).with_name("devset.yaml")

Kind = Literal[
    "speech",  # a paraphrased question about what was said
    "name",  # a name spelled otherwise than the recogniser wrote it
    "absent",  # about something that is nowhere in the video: must give "Not found"
    "people",  # presence, count or time of people and faces
    "order",  # before/after, which came first
    "count",  # how many times
    "window",  # a time window ("in the first minute")
    "summary",  # what the video (or a part) is about
    "visual",  # needs a VLM: colours, objects, who is who
]


class Clip(BaseModel):
    file: str = Field(description="path under the media root (../shared/media)")
    seconds: float = Field(
        gt=0, description="the slot's length; shorter clips hold their last frame"
    )


class Mix(BaseModel):
    file: str
    at_s: float = Field(ge=0, description="where the recording starts in the composed video")
    gain: float = 1.0


class Question(BaseModel):
    id: str
    kind: Kind
    question: str
    found: bool = True
    spans_s: list[tuple[float, float]] = Field(
        default_factory=list, description="truth spans, seconds of the composed video"
    )
    contains: list[list[str]] = Field(
        default_factory=list,
        description="every group must have one of its words in the answer (case-insensitive)",
    )
    count: int | None = None
    needs_vlm: bool = False
    why: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.found and not self.spans_s:
            raise ValueError(f"{self.id}: a question with an answer needs truth spans")
        if not self.found and (self.spans_s or self.contains):
            raise ValueError(f"{self.id}: an absent-thing question has no spans or words")
        return self

    @property
    def truth(self) -> list[TimeSpan]:
        return [TimeSpan(start_ms=round(a * 1000), end_ms=round(b * 1000)) for a, b in self.spans_s]


class DevSet(BaseModel):
    video_name: str = "realqa"
    clips: list[Clip]
    mix: list[Mix] = Field(default_factory=list)
    questions: list[Question]

    @classmethod
    def load(cls, path: Path = DEVSET) -> DevSet:
        return cls.model_validate(yaml.safe_load(path.read_text()))

    @property
    def duration_s(self) -> float:
        return sum(c.seconds for c in self.clips)

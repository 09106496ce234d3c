"""Request and response bodies of the HTTP API; every body is validated here, at the boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from avas.interfaces.api.models import AnswerOut, IngestReportOut, ProgressOut

VIDEO_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
Responses = dict[int | str, dict[str, Any]]  # OpenAPI documentation of error statuses


class IngestRequest(BaseModel):
    path: str | None = Field(
        None, min_length=1, max_length=4096, description="a file under a media root"
    )
    url: str | None = Field(
        None, min_length=1, max_length=4096, description="rtsp://, http(s)://, udp:// (if allowed)"
    )
    name: str | None = Field(None, pattern=VIDEO_ID_PATTERN, description="the video id to use")

    @model_validator(mode="after")
    def _one_source(self) -> IngestRequest:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of 'path' or 'url'")
        return self


JobStatus = Literal["queued", "running", "complete", "failed", "cancelled"]


class JobOut(BaseModel):
    id: str
    source: str = Field(description="the file name or URL being ingested")
    name: str | None
    status: JobStatus
    created_at: datetime
    finished_at: datetime | None = None
    progress: ProgressOut | None = None
    report: IngestReportOut | None = None
    error: str | None = Field(
        None, description="why it failed or stopped; never a server path or a network detail"
    )


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2_000)
    video_id: str | None = Field(None, pattern=VIDEO_ID_PATTERN, description="omit: all videos")
    history: list[AnswerOut] = Field(
        default_factory=list, max_length=20, description="earlier answers, oldest first"
    )


class StepOut(BaseModel):
    text: str


class ErrorOut(BaseModel):
    detail: str


class ErrorEventOut(BaseModel):
    """An ``event: error`` in a stream whose status line was already sent."""

    detail: str
    status: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None

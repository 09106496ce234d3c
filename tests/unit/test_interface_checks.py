"""The interfaces' shared input checks and the API's mapping from internal types (real store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.state import Answer, Citation
from avas.errors import InputError, NotFoundError
from avas.graph.networkx_store import NetworkxEventStore
from avas.interfaces.api.models import AnswerOut, answer_in, answer_out, report_out
from avas.interfaces.checks import check_path_text, check_span, require_video, require_videos
from avas.pipeline import IngestReport
from graph_schema import NodeKind, TimeSpan, Video


def test_require_video_names_the_missing_id(tmp_path: Path) -> None:
    store = NetworkxEventStore(tmp_path / "store.sqlite")
    try:
        with pytest.raises(NotFoundError, match="no video 'lobby'"):
            require_video(store, "lobby")
        with pytest.raises(NotFoundError, match="holds no video yet"):
            require_videos(store)
        video = Video(
            id="lobby",
            path="/v/lobby.mp4",
            duration_ms=1000,
            width=64,
            height=48,
            fps=10.0,
            has_audio=False,
        )
        store.upsert_video(video)
        assert require_video(store, "lobby").path == "/v/lobby.mp4"
        require_videos(store)
    finally:
        store.close()


def test_span_and_path_checks_name_the_input() -> None:
    check_span(10, 10)
    with pytest.raises(InputError, match="end_ms=10 is before start_ms=5000"):
        check_span(5000, 10)
    assert check_path_text("a/b.mp4") == "a/b.mp4"
    with pytest.raises(InputError, match=r"a\\0b.mp4' contains a NUL byte"):
        check_path_text("a\x00b.mp4")


class _AnswerWithMore(Answer):
    internal_score: float = 0.5  # a field an internal change might add


def test_answer_mapping_keeps_content_and_drops_internal_additions() -> None:
    span = TimeSpan(start_ms=64_000, end_ms=67_000)
    cite = Citation(
        video_id="demo", span=span, kind=NodeKind.SPEECH, text="4 million", node_id="s1"
    )
    answer = _AnswerWithMore(
        question="budget?",
        text="At [01:04–01:07] ...",
        found=True,
        citations=[cite],
        policy="offline",
        steps=["search"],
    )
    out = answer_out(answer)
    doc = out.model_dump(mode="json")
    assert "internal_score" not in doc
    assert doc["citations"][0] == {
        "video_id": "demo",
        "span": {"start_ms": 64_000, "end_ms": 67_000},
        "kind": "speech",
        "text": "4 million",
        "node_id": "s1",
    }
    back = answer_in(AnswerOut.model_validate(doc))
    assert back.citations[0].span == span and back.text == answer.text


def test_report_mapping_keeps_every_documented_field() -> None:
    report = IngestReport(
        video_id="demo",
        duration_ms=180_000,
        media_ms=180_000,
        events=12,
        events_skipped=0,
        speech_segments=4,
        texts=6,
        frames_sampled=90,
        frames_ocr=20,
        seconds=30.5,
    )
    out = report_out(report).model_dump()
    assert out == {**report.model_dump(), "gaps": []}

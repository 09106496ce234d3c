"""TimeSpan arithmetic, citation formatting and deterministic ids."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph_schema import TimeSpan, event_id, fmt_ms, fmt_span, normalize_name


def test_span_rejects_reversed() -> None:
    with pytest.raises(ValidationError):
        TimeSpan(start_ms=5, end_ms=4)


def test_overlap_and_iou() -> None:
    a, b = TimeSpan(start_ms=0, end_ms=10_000), TimeSpan(start_ms=5_000, end_ms=15_000)
    assert a.overlaps(b) and a.overlap_ms(b) == 5_000
    assert a.iou(b) == pytest.approx(5 / 15)
    assert not a.overlaps(TimeSpan(start_ms=10_000, end_ms=12_000))  # half-open


def test_formatting() -> None:
    assert fmt_ms(72_400) == "01:12"
    assert fmt_ms(3_723_000) == "1:02:03"
    assert fmt_span(TimeSpan(start_ms=72_000, end_ms=80_999)) == "[01:12–01:20]"


def test_ids_are_deterministic() -> None:
    span = TimeSpan(start_ms=1, end_ms=2)
    assert event_id("v", span) == event_id("v", TimeSpan(start_ms=1, end_ms=2)) == "v/ev/1-2"
    assert normalize_name("Harbor  Bridge!") == normalize_name("HARBORBRIDGE")

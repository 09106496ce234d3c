"""The real-footage dev set (benchmarks/realqa) through the agent: the acceptance bar of #15.

Real clips and recorded speech from ../shared/media, composed, ingested and asked 50+ plain
questions; skipped, with the reason, where ../shared is absent (a user's clone).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_support import shared_path

from avas.config import Settings
from avas.service import Service
from benchmarks.realqa.run import render, run_realqa

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def test_real_footage_questions_meet_the_bar(tmp_path: Path) -> None:
    media = shared_path("media")
    service = Service(Settings(home=tmp_path / "home"))
    try:
        report = run_realqa(service, media_root=media, work=tmp_path / "work")
    finally:
        service.close()
    print("\n" + render(report))
    offline = [k for k in report.kinds if not k.needs_vlm]
    assert report.overall_without_vlm >= 0.85, render(report, details=False)
    assert all(k.accuracy >= 0.6 for k in offline), [(k.kind, k.accuracy) for k in offline]
    assert report.not_found_precision >= 0.9 and report.not_found_recall >= 0.9

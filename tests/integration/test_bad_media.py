"""Damaged and unusual media: ingest what is readable, say what happened, keep the store sound."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import Settings
from avas.errors import InputError
from avas.media.sample import SampleManifest
from avas.service import Service


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = Service(Settings(home=tmp_path_factory.mktemp("bad-media-home")))
    yield service
    service.close()


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def test_truncated_file_ingests_the_readable_part(
    svc: Service, sample: SampleManifest, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.mp4"
    _ffmpeg("-i", sample.path, "-c", "copy", "-movflags", "+faststart", str(whole))
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])

    report = svc.ingest(cut, name="cut")
    assert report.stopped is not None and "truncated" in report.stopped
    events = svc.store.events("cut")
    assert events and events[-1].span.end_ms < sample.duration_ms * 0.8
    assert svc.store.get_video("cut").status == "complete"  # type: ignore[union-attr]


def test_no_audio_is_not_an_error(svc: Service, sample: SampleManifest, tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    _ffmpeg("-i", sample.path, "-an", "-c", "copy", str(silent))
    report = svc.ingest(silent, name="silent")
    assert report.events > 0 and report.speech_segments == 0 and report.texts > 0
    stats = svc.store.stats()
    assert not any("whisper" in o for o in svc.store.events("silent")[0].observers)
    assert stats.videos >= 1


def test_huge_frames_are_downscaled(svc: Service, tmp_path: Path) -> None:
    big = tmp_path / "8k.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=s=7680x4320:d=2:r=2", "-pix_fmt", "yuv420p", str(big))
    report = svc.ingest(big, name="eight-k")
    assert report.events >= 1 and report.frames_sampled >= 2


def test_name_clash_with_another_file_is_refused(
    svc: Service, sample: SampleManifest, tmp_path: Path
) -> None:
    svc.ingest(Path(sample.path), name="clash")
    other = tmp_path / "other.mp4"
    _ffmpeg("-i", sample.path, "-t", "5", "-c", "copy", str(other))
    with pytest.raises(InputError, match="clash"):
        svc.ingest(other, name="clash")

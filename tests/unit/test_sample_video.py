"""The sample generator plants what its manifest says, where it says."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from avas.errors import InputError
from avas.media.sample import (
    SampleManifest,
    SampleSpec,
    SceneSpec,
    SpeechSpec,
    make_sample_video,
    short_spec,
)

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng (Debian packages ffmpeg, espeak-ng)",
)
RATE = 16_000


@pytest.fixture(scope="module")
def short_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleManifest]:
    path = tmp_path_factory.mktemp("sample") / "short.mp4"
    return path, make_sample_video(path, short_spec())


def _ffprobe(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


def _audio(path: Path) -> np.ndarray:
    out = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


def test_video_has_the_planned_duration_and_streams(
    short_video: tuple[Path, SampleManifest],
) -> None:
    path, manifest = short_video
    info = _ffprobe(path)
    streams = info["streams"]
    assert isinstance(streams, list)
    codecs = {s["codec_type"]: s for s in streams}
    assert codecs["video"]["codec_name"] == "h264"
    assert codecs["video"]["pix_fmt"] == "yuv420p"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (640, 360)
    assert codecs["audio"]["codec_name"] == "aac"
    fmt = info["format"]
    assert isinstance(fmt, dict)
    assert manifest.duration_ms == 60_000
    assert abs(float(fmt["duration"]) * 1000 - manifest.duration_ms) < 100
    # The manifest next to the video is the one returned, and no partial files are left.
    on_disk = SampleManifest.model_validate_json(path.with_suffix(".json").read_text())
    assert on_disk == manifest
    assert sorted(p.name for p in path.parent.iterdir()) == ["short.json", "short.mp4"]


def test_manifest_spans_are_consistent(short_video: tuple[Path, SampleManifest]) -> None:
    _, manifest = short_video
    scenes, texts, speech = manifest.scenes(), manifest.texts(), manifest.speech()
    assert len(scenes) == len(texts) == len(speech) == 4
    # Scenes tile the video with no gap; each text lasts exactly its scene.
    assert scenes[0].span.start_ms == 0
    assert scenes[-1].span.end_ms == manifest.duration_ms
    for before, after in itertools.pairwise(scenes):
        assert before.span.end_ms == after.span.start_ms
    for scene, text in zip(scenes, texts, strict=True):
        assert text.span == scene.span
    for scene, line in zip(scenes, speech, strict=True):
        assert scene.span.start_ms <= line.span.start_ms < line.span.end_ms <= scene.span.end_ms
        assert 1_000 < line.span.duration_ms < 8_000  # one spoken sentence
    assert any("budget" in f.text.lower() for f in speech)


def test_speech_is_audible_inside_its_span_and_silent_elsewhere(
    short_video: tuple[Path, SampleManifest],
) -> None:
    path, manifest = short_video
    samples = _audio(path)
    spoken = np.zeros(len(samples), dtype=bool)
    for line in manifest.speech():
        lo, hi = line.span.start_ms * RATE // 1000, line.span.end_ms * RATE // 1000
        spoken[lo:hi] = True
        assert np.sqrt(np.mean(samples[lo:hi] ** 2)) > 0.01, line.text
    # AAC priming can smear a few ms across a span edge; a 100 ms margin absorbs it.
    margin = RATE // 10
    near_speech = np.convolve(spoken, np.ones(2 * margin + 1), mode="same") > 0
    assert np.max(np.abs(samples[~near_speech])) < 1e-3


def test_missing_output_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        make_sample_video(tmp_path / "no-such-dir" / "x.mp4", short_spec())


def test_overlapping_or_overrunning_speech_is_an_input_error(tmp_path: Path) -> None:
    overlapping = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=10_000,
                background="gray",
                speech=[
                    SpeechSpec(offset_ms=0, text="First line."),
                    SpeechSpec(offset_ms=200, text="Second line."),
                ],
            )
        ]
    )
    with pytest.raises(InputError, match="overlaps"):
        make_sample_video(tmp_path / "a.mp4", overlapping)
    overrunning = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=1_000,
                background="gray",
                speech=[SpeechSpec(offset_ms=500, text="This sentence is far too long.")],
            )
        ]
    )
    with pytest.raises(InputError, match="past the scene"):
        make_sample_video(tmp_path / "b.mp4", overrunning)
    assert list(tmp_path.iterdir()) == []


def test_specs_the_video_could_not_honour_are_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown background"):
        SceneSpec(duration_ms=1_000, background="plaid")
    with pytest.raises(ValidationError, match="whole frames"):
        SampleSpec(scenes=[SceneSpec(duration_ms=1_010, background="gray")], fps=25)

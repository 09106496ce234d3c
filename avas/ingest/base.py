"""Frames, audio chunks and the MediaSource seam shared by files and live streams.

source = open_source("talk.mp4", settings.ingest)       # or "udp://127.0.0.1:5000"
for frame in source.frames(start_ms=0): print(frame.ts_ms, frame.rgb.shape)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

# Defined in uri.py (no pydantic, for the decoder process), re-exported here where they were.
from avas.ingest.uri import LIVE_SCHEMES as LIVE_SCHEMES
from avas.ingest.uri import is_live_uri as is_live_uri

RGBImage = npt.NDArray[np.uint8]  # H x W x 3, RGB order
AUDIO_RATE = 16_000  # every speech model here takes 16 kHz mono float32


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled frame, already downscaled to the perception size."""

    ts_ms: int
    rgb: RGBImage


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """Consecutive 16 kHz mono samples starting at ``start_ms`` of media time."""

    start_ms: int
    samples: npt.NDArray[np.float32]

    @property
    def end_ms(self) -> int:
        return self.start_ms + len(self.samples) * 1000 // AUDIO_RATE


class SourceInfo(BaseModel):
    uri: str
    is_live: bool
    duration_ms: int | None  # None for a live stream
    width: int
    height: int
    fps: float
    has_audio: bool
    size_bytes: int = 0


class Gap(BaseModel):
    """Media time lost while a live source was disconnected."""

    start_ms: int
    end_ms: int
    reason: str


class MediaSource(Protocol):
    @property
    def info(self) -> SourceInfo:
        """What the source is; a live source connects on first access."""
        ...

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        """Sampled, downscaled frames in time order, from ``start_ms`` on."""
        ...

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        """Audio in time order from ``start_ms`` on; nothing when the source has no audio."""
        ...

    def gaps(self) -> list[Gap]:
        """Disconnections so far (always empty for files)."""
        ...

    def close(self) -> None: ...

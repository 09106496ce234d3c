"""Perception seams: one protocol per role, one module per provider.

reader: TextReader = RapidTextReader()
lines = reader.read(frame.rgb)     # -> [TextLine(text="LOADING DOCK B", confidence=0.97)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from avas.ingest.base import RGBImage
from graph_schema import TimeSpan


class TextLine(BaseModel):
    """One line of text read from one frame."""

    text: str
    confidence: float = Field(ge=0, le=1)


class SpeechPiece(BaseModel):
    """One recognised stretch of speech with its time in the media."""

    span: TimeSpan
    text: str
    confidence: float = Field(ge=0, le=1)
    language: str | None = None  # as the recogniser set or detected it, e.g. "en"


class TextReader(Protocol):
    model_id: str

    def read(self, rgb: RGBImage) -> list[TextLine]: ...


class SpeechRecognizer(Protocol):
    model_id: str

    def transcribe(
        self, samples_16k: npt.NDArray[np.float32], *, language: str | None = None
    ) -> Iterator[SpeechPiece]:
        """Lazily, in time order. ``language`` (e.g. "en") overrides the recogniser's own
        setting; with neither, the recogniser detects it."""
        ...


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        """Unit-length rows, one per text."""
        ...

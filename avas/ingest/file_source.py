"""Sampled frames from a video file via decord.

source = DecordFileSource(Path("talk.mp4"), sample_fps=1.0, max_side_px=640)
for frame in source.frames(): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from avas.errors import DependencyError, InputError
from avas.ingest.base import Frame


def scaled_size(width: int, height: int, max_side_px: int) -> tuple[int, int]:
    """Downscale to ``max_side_px`` on the longest side, keeping even dimensions for codecs."""
    scale = min(1.0, max_side_px / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class DecordFileSource:
    def __init__(
        self,
        path: Path,
        *,
        sample_fps: float,
        max_side_px: int,
        width: int,
        height: int,
        batch: int = 32,
    ) -> None:
        self.path = path
        self.stride_ms = max(1, round(1000 / sample_fps))
        self.max_side_px = max_side_px
        self.size = scaled_size(width, height, max_side_px)
        self.batch = batch

    def frames(self) -> Iterator[Frame]:
        try:
            import decord
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("decord is not installed: pip install decord") from exc
        w, h = self.size
        try:
            reader = decord.VideoReader(
                str(self.path), ctx=decord.cpu(0), width=w, height=h, num_threads=2
            )
        except decord.DECORDError as exc:
            raise InputError(f"cannot decode video {self.path}: {exc}") from exc
        count = len(reader)
        if count == 0:
            return
        # Presentation timestamps of every frame: correct for variable frame rate too.
        starts_ms = np.round(reader.get_frame_timestamp(np.arange(count))[:, 0] * 1000).astype(
            np.int64
        )
        last_ms = int(starts_ms[-1])
        targets = np.arange(0, last_ms + 1, self.stride_ms, dtype=np.int64)
        indices = np.clip(np.searchsorted(starts_ms, targets, side="left"), 0, count - 1)
        # Adjacent targets can map to the same frame on a low-fps video: keep each frame once.
        indices = np.unique(indices)
        for lo in range(0, len(indices), self.batch):
            chunk = indices[lo : lo + self.batch]
            batch = reader.get_batch(chunk.tolist()).asnumpy()
            for idx, rgb in zip(chunk, batch, strict=True):
                yield Frame(ts_ms=int(starts_ms[idx]), rgb=np.ascontiguousarray(rgb))

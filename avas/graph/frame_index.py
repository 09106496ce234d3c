"""Exact in-memory search over keyframe vectors, for the embedded store.

    index = FrameIndex(); index.put("v/ev/0-4000", "v", [np.ones(512, np.float32)])
    index.search(query, k=5)  # -> [("v/ev/0-4000", 0.93)]: one (event, best frame cosine) each

Kept apart from the text vectors because the two live in different spaces (the image model's,
e.g. CLIP at 512 or 768 dimensions, against the text embedder's 384): rows are grouped by
dimension, so a store that saw two image models never compares vectors of different models'
sizes, and a query only meets frames of its own size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class FrameIndex:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self) -> None:
        self._frames: dict[str, tuple[str | None, list[Vector]]] = {}  # event -> (video, rows)
        self._matrix: dict[int, tuple[list[str], npt.NDArray[np.float32]]] = {}  # dim -> cache

    def __len__(self) -> int:
        return len(self._frames)

    def has_frames(self, video_id: str | None = None) -> bool:
        if video_id is None:
            return bool(self._frames)
        return any(vid == video_id for vid, _ in self._frames.values())

    def put(self, event_id: str, video_id: str | None, vectors: Sequence[Vector]) -> None:
        """Replace an event's frames (none: the event has no frames any more)."""
        if vectors:
            rows = [_unit(np.asarray(v, dtype=np.float32).ravel()) for v in vectors]
            self._frames[event_id] = (video_id, rows)
        else:
            self._frames.pop(event_id, None)
        self._matrix.clear()

    def add(self, event_id: str, video_id: str | None, vector: Vector) -> None:
        """One more frame of an event (loading a store row by row)."""
        _, rows = self._frames.setdefault(event_id, (video_id, []))
        rows.append(_unit(np.asarray(vector, dtype=np.float32).ravel()))
        self._matrix.clear()

    def remove(self, event_ids: Iterable[str]) -> None:
        dropped = [self._frames.pop(e, None) for e in event_ids]
        if any(d is not None for d in dropped):
            self._matrix.clear()

    def search(
        self, vector: Vector, *, k: int, video_id: str | None = None
    ) -> list[tuple[str, float]]:
        query = np.asarray(vector, dtype=np.float32).ravel()
        if k <= 0 or not self._frames or not np.any(query):
            return []
        dim = int(query.shape[0])
        cached = self._matrix.get(dim)
        if cached is None:
            owners = [e for e, (_, rows) in self._frames.items() for r in rows if r.shape[0] == dim]
            stacked = [r for _, rows in self._frames.values() for r in rows if r.shape[0] == dim]
            if not stacked:
                return []
            cached = self._matrix[dim] = (owners, np.vstack(stacked))
        owners, matrix = cached
        scores = matrix @ _unit(query)
        best: dict[str, float] = {}
        for i in np.argsort(-scores):
            event_id = owners[int(i)]
            if event_id in best:
                continue  # a later frame of an event already found scores lower
            if video_id is not None and self._frames[event_id][0] != video_id:
                continue
            best[event_id] = float(scores[int(i)])
            if len(best) >= k:
                break
        return list(best.items())


def _unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector

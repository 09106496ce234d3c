"""The composition root: the one place that turns Settings into concrete components.

    service = Service(Settings())
    service.ingest(Path("talk.mp4")); service.store.stats()

Components are built on first use, so `avas videos` never loads a model.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from avas.config import Settings, apply_offline_environment
from avas.errors import DependencyError
from avas.graph.base import EventGraphStore
from avas.graph.networkx_store import NetworkxEventStore
from avas.ingest.probe import probe_video
from avas.perception.base import Embedder, SpeechRecognizer, TextReader
from avas.pipeline import IngestPipeline, IngestReport, ProgressFn


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        apply_offline_environment()

    @cached_property
    def store(self) -> EventGraphStore:
        return NetworkxEventStore(self.settings.store_path)

    @cached_property
    def embedder(self) -> Embedder:
        from avas.perception.embed_sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(self.settings.embedding.model)

    @cached_property
    def text_reader(self) -> TextReader | None:
        cfg = self.settings.perception
        if cfg.ocr == "none":
            return None
        from avas.perception.ocr_rapid import RapidTextReader

        return RapidTextReader(min_confidence=cfg.ocr_min_confidence)

    @cached_property
    def speech_recognizer(self) -> SpeechRecognizer | None:
        cfg = self.settings.perception
        if cfg.asr == "none":
            return None
        from avas.perception.asr_faster_whisper import (
            FasterWhisperRecognizer,
            ensure_packaged_whisper_base,
        )

        if cfg.asr_model == "base":
            model_dir = ensure_packaged_whisper_base(self.settings.models_dir)
        else:
            model_dir = Path(cfg.asr_model)
            if not (model_dir / "model.bin").exists():
                raise DependencyError(
                    f"AVAS_PERCEPTION__ASR_MODEL={cfg.asr_model!r} is not a CTranslate2 "
                    "whisper folder (no model.bin); models are never downloaded"
                )
        return FasterWhisperRecognizer(
            model_dir=model_dir, language=cfg.asr_language, threads=cfg.threads
        )

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.settings,
            self.store,
            embedder=self.embedder,
            reader=self.text_reader,
            asr=self.speech_recognizer,
        )

    def ingest(
        self, path: Path, *, name: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        probe_video(path.expanduser())  # reject bad input before any model loads
        return self.pipeline.ingest(path, name=name, progress=progress)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

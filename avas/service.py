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
from avas.ingest import is_live_uri
from avas.ingest.probe import probe_video
from avas.perception.base import Embedder, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner
from avas.perception.detect_base import Detector
from avas.perception.image_embed_base import ImageEmbedder
from avas.pipeline import EventHook, IngestPipeline, IngestReport, ProgressFn
from avas.pipeline.stages import Stages
from avas.retrieval.moments import MomentFinder
from avas.retrieval.rerank_base import Reranker


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        apply_offline_environment()

    @cached_property
    def store(self) -> EventGraphStore:
        if self.settings.store == "neo4j":
            from avas.graph.neo4j_store import Neo4jEventStore

            cfg = self.settings.neo4j
            if not cfg.uri:
                raise DependencyError("AVAS_STORE=neo4j needs AVAS_NEO4J__URI (bolt://host:7687)")
            return Neo4jEventStore(
                cfg.uri,
                cfg.user,
                cfg.password.get_secret_value(),
                cfg.database,
                connect_retry_ms=cfg.connect_retry_ms,
            ).connect()
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
        if cfg.ocr_worker_reads:
            from avas.perception.ocr_process import ProcessTextReader

            return ProcessTextReader(
                min_confidence=cfg.ocr_min_confidence,
                threads=cfg.threads,
                recycle_after=cfg.ocr_worker_reads,
            )
        from avas.perception.ocr_rapid import RapidTextReader

        return RapidTextReader(min_confidence=cfg.ocr_min_confidence, threads=cfg.threads)

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
    def captioner(self) -> Captioner | None:
        cfg = self.settings.perception
        if cfg.captioner == "observations":
            return None
        if cfg.captioner == "vllm":
            from avas.perception.captioner_vllm import VLLMCaptioner

            return VLLMCaptioner(
                cfg.vlm.model,
                max_images=cfg.captioner_max_images,
                batch_size=cfg.captioner_vllm_batch_size,
                max_model_len=cfg.captioner_vllm_max_model_len,
                gpu_memory_utilization=cfg.captioner_vllm_gpu_memory_utilization,
            )
        if not cfg.vlm.url:
            raise DependencyError(
                "AVAS_PERCEPTION__CAPTIONER=openai needs AVAS_PERCEPTION__CAPTIONER_URL "
                "(an OpenAI-compatible server, e.g. http://localhost:8000/v1 from `vllm serve`)"
            )
        from avas.perception.captioner_openai import OpenAICompatibleCaptioner

        return OpenAICompatibleCaptioner.from_endpoint(cfg.vlm, max_images=cfg.captioner_max_images)

    @cached_property
    def detectors(self) -> list[Detector]:
        """People and face detectors (OpenCV's own models); each adds an event signal."""
        cfg = self.settings.perception
        found: list[Detector] = []
        if cfg.people_detector == "opencv-hog":
            from avas.perception.detect_people_hog import HogPeopleDetector

            found.append(
                HogPeopleDetector(
                    width_px=cfg.people_width_px, min_confidence=cfg.people_min_confidence
                )
            )
        if cfg.face_detector == "opencv-haar":
            from avas.perception.detect_faces_haar import HaarFaceDetector

            found.append(HaarFaceDetector())
        return found

    @cached_property
    def image_embedder(self) -> ImageEmbedder | None:
        """Keyframe embeddings (the "frame" search modality); None in the offline default."""
        cfg = self.settings.image_embedding
        if cfg.backend == "none":
            return None
        if cfg.backend == "openclip":
            if cfg.weights is None:
                raise DependencyError(
                    "AVAS_IMAGE_EMBEDDING__BACKEND=openclip needs AVAS_IMAGE_EMBEDDING__WEIGHTS "
                    "(a local open_clip checkpoint file)"
                )
            from avas.perception.image_embed_openclip import OpenClipImageEmbedder

            return OpenClipImageEmbedder(
                cfg.weights, cfg.openclip_architecture, threads=self.settings.perception.threads
            )
        if not cfg.server.url:
            raise DependencyError(
                "AVAS_IMAGE_EMBEDDING__BACKEND=http needs AVAS_IMAGE_EMBEDDING__URL (an OpenAI-"
                "compatible embeddings server, e.g. from `vllm serve MODEL --task embed`)"
            )
        from avas.perception.image_embed_http import HTTPImageEmbedder

        return HTTPImageEmbedder.from_endpoint(
            cfg.server, image_prompt=cfg.image_prompt, max_side_px=cfg.max_side_px
        )

    @cached_property
    def reranker(self) -> Reranker | None:
        cfg = self.settings.search
        if cfg.rerank == "none":
            return None
        if cfg.rerank == "cross-encoder":
            from avas.retrieval.rerank_cross_encoder import CrossEncoderReranker

            return CrossEncoderReranker(Path(cfg.reranker.model))
        if not cfg.reranker.url:
            raise DependencyError(
                "AVAS_SEARCH__RERANK=llm needs AVAS_SEARCH__RERANK_URL (an OpenAI-compatible "
                "chat server, e.g. http://localhost:8001/v1)"
            )
        from avas.retrieval.rerank_llm import LLMReranker

        return LLMReranker.from_endpoint(cfg.reranker)

    def moment_finder(self) -> MomentFinder:
        """Moment search as configured: `avas find` and GET /search share it."""
        return MomentFinder(
            self.store,
            self.embedder,
            min_dense=self.settings.agent.min_dense_score,
            image_embedder=self.image_embedder,
            frame_min_score=self.settings.search.frame_min_score,
            reranker=self.reranker,
            rerank_top_n=self.settings.search.rerank_top_n,
        )

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.settings,
            self.store,
            embedder=self.embedder,
            reader=self.text_reader,
            asr=self.speech_recognizer,
            captioner=self.captioner,
            image_embedder=self.image_embedder,
            detectors=self.detectors,
            # The per-run collaborators (segmenter, merger) and the shared linker and summariser.
            stages=Stages.from_settings(self.settings, self.store, self.embedder),
        )

    def ingest(
        self,
        uri: str | Path,
        *,
        name: str | None = None,
        progress: ProgressFn | None = None,
        realtime: bool = False,
        on_event: EventHook | None = None,
    ) -> IngestReport:
        if not is_live_uri(str(uri)):
            probe_video(uri, self.settings.ingest)  # reject a bad file before any model loads
        return self.pipeline.ingest(
            uri, name=name, progress=progress, realtime=realtime, on_event=on_event
        )

    def close(self) -> None:
        reader = self.__dict__.get("text_reader")
        if reader is not None and hasattr(reader, "close"):
            reader.close()  # stops the OCR worker process
        for name in ("image_embedder", "reranker"):  # HTTP clients' pooled connections
            component = self.__dict__.get(name)
            if component is not None and hasattr(component, "close"):
                component.close()
        if "store" in self.__dict__:
            self.store.close()

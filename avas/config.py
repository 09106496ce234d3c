"""Settings: the only place AVAS reads the environment.

    settings = Settings()                      # AVAS_HOME, AVAS_INGEST__SAMPLE_FPS=2, ...
    settings.store_path  # -> ~/.local/share/avas/store.sqlite

Nested sections use ``__`` in variable names, e.g. ``AVAS_PERCEPTION__ASR_LANGUAGE=en``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    sample_fps: float = Field(1.0, gt=0, le=30, description="frames sampled per second of video")
    max_side_px: int = Field(640, ge=64, description="frames are downscaled to this longest side")
    decode_batch: int = Field(32, ge=1, description="frames decoded per decord batch")
    max_reconnects: int | None = Field(
        5, ge=0, description="live sources give up after this many failed reconnects (None: never)"
    )


class SegmentSettings(BaseModel):
    min_event_ms: int = Field(2_000, ge=0)
    max_event_ms: int = Field(30_000, ge=1_000)
    summary_segment_ms: int = Field(
        600_000, ge=10_000, description="length of the segments that get their own summary"
    )
    cut_threshold: float = Field(
        20.0, gt=0, description="mean HSV change (0-255 scale) between samples that starts a shot"
    )


class PerceptionSettings(BaseModel):
    captioner: Literal["observations", "openai"] = Field(
        "observations",
        description="'observations': the description is built from OCR/ASR/signals only; "
        "'openai': a VLM behind any OpenAI-compatible server (vLLM, llama.cpp, Ollama, hosted)",
    )
    captioner_url: str | None = Field(None, description="e.g. http://localhost:8000/v1")
    captioner_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    captioner_api_key: SecretStr | None = None
    captioner_response_format: Literal["json_schema", "json_object"] = Field(
        "json_schema", description="vLLM and hosted APIs: json_schema; llama.cpp: json_object"
    )
    captioner_max_images: int = Field(4, ge=1, le=16)
    captioner_timeout_s: float = Field(60, gt=0)
    ocr: Literal["rapidocr", "none"] = "rapidocr"
    presence: bool = Field(True, description="foreground presence (background model) per frame")
    asr: Literal["faster-whisper", "none"] = "faster-whisper"
    asr_model: str = Field(
        "base", description="'base' = the packaged whisper-base; or a path to a CTranslate2 model"
    )
    asr_language: str | None = Field(None, description="e.g. 'en'; None detects the language")
    ocr_min_confidence: float = Field(0.6, ge=0, le=1)
    ocr_change_threshold: float = Field(
        4.0, ge=0, description="mean abs grey change (0-255) below which a frame is not re-read"
    )
    ocr_min_interval_ms: int = Field(
        2_000,
        ge=0,
        description="a changing picture is re-read at most this often (each event's first "
        "frame is always read): bounds OCR cost on footage that never stands still",
    )
    threads: int = Field(2, ge=1)
    asr_window_ms: int = Field(30_000, ge=2_000, le=30_000, description="speech window, files")
    live_asr_window_ms: int = Field(
        4_000,
        ge=2_000,
        le=30_000,
        description="speech window for live sources: shorter windows bound the commit lag",
    )


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "all-MiniLM-L6-v2", description="'all-MiniLM-L6-v2' = the packaged model, or a local path"
    )


class AgentSettings(BaseModel):
    top_k: int = Field(8, ge=1, le=100)
    min_dense_score: float = Field(
        0.45, ge=0, le=1, description="below this cosine similarity a hit alone is not evidence"
    )


class Neo4jSettings(BaseModel):
    uri: str | None = Field(None, description="e.g. bolt://localhost:7687; unset = no server")
    user: str = "neo4j"
    password: SecretStr = SecretStr("")
    database: str = "neo4j"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AVAS_", env_nested_delimiter="__", env_file=None, extra="ignore"
    )

    home: Path = Field(default_factory=lambda: Path(user_data_dir("avas", appauthor=False)))
    # Models are a cache rebuilt from installed packages, kept apart from the data in `home`.
    models_dir: Path = Field(
        default_factory=lambda: Path(user_cache_dir("avas", appauthor=False)) / "models"
    )
    store: Literal["networkx", "neo4j"] = "networkx"
    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    segment: SegmentSettings = Field(default_factory=SegmentSettings)
    perception: PerceptionSettings = Field(default_factory=PerceptionSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)

    @property
    def store_path(self) -> Path:
        return self.home / "store.sqlite"


def apply_offline_environment() -> None:
    """Keep model libraries away from any hub: every model AVAS loads by default ships in a package.

    Called once by the composition root before a model library is imported.
    """
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Loading a packaged model is not worth a progress bar on the user's terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

"""Settings: the only place AVAS reads the environment.

    settings = Settings()                      # AVAS_HOME, AVAS_INGEST__SAMPLE_FPS=2, ...
    settings.store_path  # -> ~/.local/share/avas/store.sqlite

Nested sections use ``__`` in variable names, e.g. ``AVAS_PERCEPTION__ASR_LANGUAGE=en``.

Each OpenAI-compatible server is one nested ``EndpointSettings``: ``AVAS_AGENT__LLM__URL``,
``AVAS_PERCEPTION__VLM__*``, ``AVAS_SEARCH__RERANKER__*``, ``AVAS_SUMMARY__LLM__*``,
``AVAS_IMAGE_EMBEDDING__SERVER__*``. The flat names README documents (``AVAS_AGENT__LLM_URL``,
``AVAS_PERCEPTION__CAPTIONER_MODEL``, ``AVAS_SUMMARY__URL``, ...) still work; nested ones win.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EndpointSettings(BaseModel):
    """One OpenAI-compatible server (vLLM, llama.cpp, Ollama, hosted): the one shape of every
    such setting, nested where it is used (see the module docstring for the variable names)."""

    url: str | None = Field(None, description="e.g. http://localhost:8001/v1; unset: no server")
    model: str = Field("", description="the served model's name")
    api_key: SecretStr | None = None
    timeout_s: float = Field(60, gt=0, description="per request")
    retries: int = Field(2, ge=0, description="on transport errors, 429 and 5xx, with backoff")
    # chat: vLLM/hosted take json_schema, llama.cpp json_object; auto tries one, then the other
    response_format: Literal["auto", "json_schema", "json_object"] = "json_schema"

    def key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None


def _nest_endpoint(data: Any, field: str, legacy_prefix: str, defaults: dict[str, Any]) -> Any:
    """The section's own defaults, then the flat names (``{legacy_prefix}url``, ...), then the
    nested ones: a nested ``url`` alone must not bring EndpointSettings' generic defaults."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    merged = dict(defaults)
    for name in EndpointSettings.model_fields:
        legacy = data.pop(f"{legacy_prefix}{name}", None)
        if legacy is not None:
            merged[name] = legacy
    given = data.get(field)
    if isinstance(given, EndpointSettings):
        merged.update(given.model_dump(exclude_unset=True))
    elif isinstance(given, dict):
        merged.update(given)
    elif given is not None:
        return data  # let validation report the wrong type
    data[field] = merged
    return data


def _endpoint_field(defaults: dict[str, Any], description: str) -> Any:
    return Field(
        default_factory=lambda: EndpointSettings.model_validate(defaults), description=description
    )


class _EndpointSection(BaseModel):
    """A section with one nested EndpointSettings, gathered by _nest_endpoint."""

    endpoint_spec: ClassVar[tuple[str, str, dict[str, Any]]]  # field, legacy prefix, defaults

    @model_validator(mode="before")
    @classmethod
    def _gather_endpoint(cls, data: Any) -> Any:
        return _nest_endpoint(data, *cls.endpoint_spec)


_VLM = {"model": "Qwen/Qwen2.5-VL-7B-Instruct", "timeout_s": 60}
_IMAGE_EMBED = {"model": "TIGER-Lab/VLM2Vec-Full", "timeout_s": 30}
_RERANKER = {"model": "Qwen/Qwen2.5-7B-Instruct", "timeout_s": 30}
_SUMMARY_LLM = {"model": "Qwen/Qwen2.5-7B-Instruct", "timeout_s": 120}
_AGENT_LLM = {"model": "Qwen/Qwen2.5-7B-Instruct", "timeout_s": 60, "response_format": "auto"}


class IngestSettings(BaseModel):
    sample_fps: float = Field(1.0, gt=0, le=30, description="frames sampled per second of video")
    max_side_px: int = Field(640, ge=64, description="frames are downscaled to this longest side")
    decode_batch: int = Field(32, ge=1, description="frames decoded per decord batch")
    max_reconnects: int | None = Field(
        5, ge=0, description="live sources give up after this many failed reconnects (None: never)"
    )
    live_status_interval_s: float = Field(
        5, gt=0, description="`avas ingest --json` on a live stream: seconds between status records"
    )
    # Intake caps: a file past any of them is refused before a decoder opens it (a 1.4 KB MKV
    # whose second frame says 1e9 s made decord allocate until the process aborted).
    probe_timeout_ms: int = Field(
        30_000, ge=100, description="each ffprobe/ffmpeg probe of a file is stopped after this long"
    )
    max_duration_ms: int = Field(
        86_400_000, ge=1_000, description="longest file accepted (container and timestamps)"
    )
    max_frame_pixels: int = Field(
        7680 * 4320, ge=64 * 64, description="largest frame accepted, width x height (8K)"
    )
    max_frame_count: int = Field(
        6_000_000, ge=1, description="most video frames a file may hold (24 h at 60 fps: 5.2 M)"
    )
    max_timestamp_jump_ms: int = Field(
        3_600_000, ge=1_000, description="largest step between two frames' timestamps"
    )
    decode_stall_ms: int = Field(
        30_000, ge=100, description="the decoder process is ended when it yields nothing this long"
    )
    decode_memory_mb: int | None = Field(
        8192, ge=256, description="address-space limit of the decoder process (None: none)"
    )


class SegmentSettings(BaseModel):
    min_event_ms: int = Field(2_000, ge=0)
    max_event_ms: int = Field(30_000, ge=1_000)
    live_max_event_ms: int = Field(
        8_000,
        ge=1_000,
        description="max event length on live streams: bounds how long a sentence waits to be "
        "committed (and found) after it is said",
    )
    summary_segment_ms: int = Field(
        600_000, ge=10_000, description="length of the segments that get their own summary"
    )
    cut_threshold: float = Field(
        20.0, gt=0, description="mean HSV change (0-255 scale) between samples that starts a shot"
    )
    merge: bool = Field(
        True,
        description="fold an event into the one before it when both say the same thing: same "
        "on-screen texts, no new speech, descriptions at least merge_min_similarity alike",
    )
    merge_max_ms: int = Field(
        60_000,
        ge=1_000,
        description="a merged event never grows past this; a held-back event commits once its "
        "start is this far behind the stream, which bounds live lag",
    )
    merge_min_similarity: float = Field(
        0.98,
        ge=0,
        le=1,
        description="cosine of the two descriptions' embeddings (speech left out); MiniLM gives "
        "~0.95 for the same text on another colour, 1.0 for an unchanged scene",
    )


class PerceptionSettings(_EndpointSection):
    endpoint_spec = ("vlm", "captioner_", _VLM)
    captioner: Literal["observations", "openai", "vllm"] = Field(
        "observations",
        description="'observations': the description is built from OCR/ASR/signals only; "
        "'openai': a VLM behind any OpenAI-compatible server (vLLM, llama.cpp, Ollama, hosted); "
        "'vllm': the VLM in this process on a GPU (pip install 'avas[gpu]')",
    )
    vlm: EndpointSettings = _endpoint_field(
        _VLM,
        "openai: the VLM server (legacy names AVAS_PERCEPTION__CAPTIONER_URL, _MODEL, _API_KEY, "
        "_TIMEOUT_S, _RESPONSE_FORMAT); vllm: only its model is used",
    )
    captioner_max_images: int = Field(4, ge=1, le=16)
    captioner_vllm_max_model_len: int = Field(16_384, ge=1_024, description="vllm: context")
    captioner_vllm_gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    captioner_vllm_batch_size: int = Field(16, ge=1, description="vllm: events per engine call")
    ocr: Literal["rapidocr", "none"] = "rapidocr"
    presence: bool = Field(True, description="foreground presence (background model) per frame")
    people_detector: Literal["opencv-hog", "none"] = Field(
        "opencv-hog", description="people per event (signal 'people'), OpenCV's HOG detector"
    )
    face_detector: Literal["opencv-haar", "none"] = Field(
        "opencv-haar", description="frontal faces per event (signal 'faces'), OpenCV's Haar cascade"
    )
    detector_every_n: int = Field(
        2, ge=1, description="detectors run on every n-th sampled frame of an event (and its first)"
    )
    people_width_px: int = Field(
        480, ge=64, description="frames are shrunk to this width for the people detector"
    )
    people_min_confidence: float = Field(0.65, ge=0, le=1)
    speech_names: bool = Field(
        True, description="proper names in speech become entities (kind 'name', role 'mentioned')"
    )
    asr: Literal["faster-whisper", "none"] = "faster-whisper"
    asr_model: str = Field(
        "base", description="'base' = the packaged whisper-base; or a path to a CTranslate2 model"
    )
    asr_language: str | None = Field(None, description="e.g. 'en'; None detects the language")
    ocr_min_confidence: float = Field(0.6, ge=0, le=1)
    ocr_worker_reads: int = Field(
        500,
        ge=0,
        description="OCR runs in a worker process replaced after this many reads, which keeps "
        "memory bounded on long videos (0: in-process)",
    )
    ocr_change_threshold: float = Field(
        4.0, ge=0, description="mean abs grey change (0-255) below which a frame is not re-read"
    )
    ocr_min_interval_ms: int = Field(
        2_000,
        ge=0,
        description="a changing picture is re-read at most this often (each event's first "
        "frame is always read): bounds OCR cost on footage that never stands still",
    )
    ocr_max_interval_ms: int = Field(
        8_000,
        ge=0,
        description="while reads of a changing picture keep finding the same text, the wait "
        "between them doubles up to this (moving people or cars, a sign that stays)",
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


class ImageEmbeddingSettings(_EndpointSection):
    """Keyframe embeddings in an image-text space (CLIP-like): the visual modality of search."""

    endpoint_spec = ("server", "", _IMAGE_EMBED)
    backend: Literal["none", "http", "openclip"] = Field(
        "none",
        description="'none': no visual embeddings (the offline default); 'http': an OpenAI-"
        "compatible /v1/embeddings endpoint serving a multimodal model (e.g. `vllm serve "
        "TIGER-Lab/VLM2Vec-Full --task embed`); 'openclip': open_clip weights from a local path",
    )
    server: EndpointSettings = _endpoint_field(
        _IMAGE_EMBED,
        "http: the embeddings server (legacy names AVAS_IMAGE_EMBEDDING__URL, __MODEL, ...)",
    )
    openclip_architecture: str = Field("ViT-B-32", description="openclip: the weights' model")
    image_prompt: str = Field(
        "Represent the given image.", description="http: text sent beside each image"
    )
    weights: Path | None = Field(None, description="openclip: a local checkpoint file")
    frames_per_event: int = Field(3, ge=1, le=16, description="keyframes embedded per event")
    max_side_px: int = Field(448, ge=32, description="http: images are shrunk to this side")


class SearchSettings(_EndpointSection):
    """Moment search (`avas find`, GET /search): the visual modality and optional re-ranking."""

    endpoint_spec = ("reranker", "rerank_", _RERANKER)
    frame_min_score: float = Field(
        0.2,
        ge=-1,
        le=1,
        description="image-text cosine below which a keyframe match is no evidence (CLIP-like "
        "models score true matches around 0.25-0.35, far lower than text-text similarity)",
    )
    rerank: Literal["none", "llm", "cross-encoder"] = Field(
        "none", description="re-order the top moments with an LLM or a local cross-encoder"
    )
    rerank_top_n: int = Field(20, ge=2, le=100, description="how many top moments are re-ranked")
    reranker: EndpointSettings = _endpoint_field(
        _RERANKER,
        "llm: the chat server; cross-encoder: only its model, a local folder, is used (legacy "
        "names AVAS_SEARCH__RERANK_URL, _MODEL, _API_KEY, _TIMEOUT_S, _RESPONSE_FORMAT)",
    )


class LinkingSettings(BaseModel):
    enabled: bool = Field(
        True,
        description="link each event's entities to stored ones with similar names (aliases, "
        "recorded and reversible); entities with the same kind and normalised name always link",
    )
    min_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="cosine of the name embeddings below which a stored entity is no candidate "
        "(the name check in avas.knowledge.linking decides among candidates)",
    )
    candidates: int = Field(5, ge=1, le=100, description="nearest stored names considered")


class SummarySettings(_EndpointSection):
    endpoint_spec = ("llm", "", _SUMMARY_LLM)
    summariser: Literal["extractive", "openai"] = Field(
        "extractive",
        description="'extractive': segment and video summaries list what was shown and said "
        "(offline); 'openai': any OpenAI-compatible chat model writes them",
    )
    llm: EndpointSettings = _endpoint_field(
        _SUMMARY_LLM,
        "openai: the chat server (legacy names AVAS_SUMMARY__URL, __MODEL, __API_KEY, ...)",
    )
    max_tokens: int = Field(400, ge=16, description="tokens per summary")


class AgentSettings(_EndpointSection):
    endpoint_spec = ("llm", "llm_", _AGENT_LLM)
    policy: Literal["offline", "llm"] = Field(
        "offline",
        description="'offline': deterministic analysis + extractive answers; 'llm': plan-act-"
        "reflect with any OpenAI-compatible chat model (vLLM, llama.cpp server, hosted)",
    )
    llm: EndpointSettings = _endpoint_field(
        _AGENT_LLM,
        "llm: the chat server (legacy names AVAS_AGENT__LLM_URL, _LLM_MODEL, _LLM_API_KEY, "
        "_LLM_TIMEOUT_S, _LLM_RESPONSE_FORMAT); response_format 'auto' by default",
    )
    look_again: bool = Field(
        True,
        description="when the best hit lacks some of the question's words, re-read the seconds "
        "around it densely (OCR of changed frames at 4 fps, speech; the VLM when configured)",
    )
    verify: bool = Field(
        False,
        description="check each answer's claims against its cited evidence and drop the "
        "unsupported ones (LLM policy: one more model turn; offline: word overlap)",
    )
    max_rounds: int = Field(3, ge=1, description="LLM policy: tool rounds per question")
    max_tokens: int = Field(20_000, ge=1, description="LLM policy: tokens per question")
    max_seconds: float = Field(60, gt=0, description="LLM policy: seconds per question")
    top_k: int = Field(8, ge=1, le=100)
    min_dense_score: float = Field(
        0.45, ge=0, le=1, description="below this cosine similarity a hit alone is not evidence"
    )


class Neo4jSettings(BaseModel):
    uri: str | None = Field(None, description="e.g. bolt://127.0.0.1:7687; unset = no server")
    user: str = "neo4j"
    # docker-compose.yml's and scripts/neo4j-server's default: a loopback development server.
    password: SecretStr = SecretStr("avas-dev-password")
    database: str = "neo4j"
    connect_retry_ms: int = Field(
        10_000, ge=0, description="how long a server that does not answer yet is retried"
    )


_PLACEHOLDERS = {"changeme", "changethis", "secret", "token", "password"}


class ApiSettings(BaseModel):
    host: str = Field("127.0.0.1", description="`avas serve` binds here")
    port: int = Field(8000, ge=1, le=65535)
    token: SecretStr | None = Field(
        None, description="when set, every endpoint but /healthz and /readyz needs this bearer"
    )
    media_roots: list[Path] = Field(
        default_factory=list,
        description="folders the API may ingest from and play media out of (the upload folder "
        "is always allowed); relative ingest paths resolve against the first root",
    )
    upload_dir: Path | None = Field(None, description="default: <AVAS_HOME>/uploads")
    max_upload_bytes: int = Field(2 * 1024**3, ge=1, description="uploads above this get 413")
    allow_url_ingest: bool = Field(
        False, description="let clients ingest rtsp:// / http(s):// URLs (the server connects)"
    )
    cors_origins: list[str] = Field(default_factory=list, description="e.g. http://localhost:5173")
    url_allow_hosts: list[str] = Field(
        default_factory=list,
        description="URL ingest may reach these hosts (names, IPs or CIDR networks) even when "
        "they resolve to loopback/private addresses; they may also use rtsp/rtmp/srt",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host headers accepted besides localhost, 127.0.0.1, ::1 and the bound host "
        "(against DNS rebinding); e.g. avas.example.org",
    )
    max_body_bytes: int = Field(1024**2, ge=1024, description="non-upload request bodies")
    max_upload_storage_bytes: int = Field(
        20 * 1024**3, ge=1, description="all uploads kept together; a new one beyond gets 507"
    )
    max_queued_jobs: int = Field(16, ge=1, description="queued + running ingests; beyond: 429")
    max_live_jobs: int = Field(4, ge=1, description="live URL ingests running at once")
    live_job_max_ms: int = Field(
        4 * 3600 * 1000, ge=1000, description="a live ingest started over the API stops after this"
    )
    media_url_ttl_ms: int = Field(
        3600 * 1000, ge=1000, description="signed media URLs (for <video src>) expire after this"
    )
    url_timeout_ms: int = Field(10_000, ge=100, description="connect/read limit of URL ingest")

    @field_validator("token")
    @classmethod
    def _real_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret.lower() in _PLACEHOLDERS or len(secret) < 16:
            raise ValueError("the API token must be at least 16 characters and not a placeholder")
        return value


class MonitorSettings(BaseModel):
    merge_events: bool = Field(
        False,
        description="merge adjacent look-alike events while monitoring; off by default because "
        "a merge holds each event back until the next one closes, and alerts fire on commit",
    )
    alerts_dir: Path | None = Field(
        None, description="where alert thumbnails go; None: <AVAS_HOME>/alerts"
    )
    thumbnails: bool = Field(True, description="write a JPEG of each alert's keyframe")
    thumbnail_max_side_px: int = Field(480, ge=64, description="kept frames are shrunk to this")
    frame_buffer_s: float = Field(
        60, gt=0, description="media seconds of recent frames kept per stream for thumbnails"
    )
    read_timeout_s: float = Field(
        10, gt=0, description="silence after which a live stream counts as dropped"
    )
    reconnect_backoff_s: float = Field(0.5, gt=0, description="first wait before reconnecting")
    max_backoff_s: float = Field(10, gt=0, description="the longest wait between reconnects")
    max_reconnects: int | None = Field(
        None, ge=0, description="give a stream up after this many failed reconnects (None: never)"
    )
    status_interval_s: float = Field(
        30, ge=0, description="print every stream's status to stderr this often (0: never)"
    )
    dedup_gap_ms: int = Field(
        2_000, ge=0, description="a longer break between firing events starts a new sighting"
    )
    webhook_retries: int = Field(3, ge=0)
    webhook_backoff_s: float = Field(1.0, gt=0)
    webhook_timeout_s: float = Field(5.0, gt=0)
    keep_events_ms: int | None = Field(
        None,
        ge=1_000,
        description="retention: events further than this (media time) behind a stream's newest "
        "one are rolled into segment summaries and deleted, whole segments at a time; None: "
        "keep every event",
    )
    retention_interval_s: float = Field(60, gt=0, description="how often retention runs")
    state_dir: Path | None = Field(
        None,
        description="where a running monitor writes its stream status (streams-<pid>.json) and "
        "appends every alert (alerts.jsonl) for `avas serve` to read; None: <AVAS_HOME>/monitor",
    )
    state_interval_s: float = Field(2, gt=0, description="how often the status file is rewritten")
    alert_log_max_bytes: int = Field(
        10 * 1024**2, ge=1024, description="alerts.jsonl is rotated to alerts.jsonl.1 past this"
    )


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
    image_embedding: ImageEmbeddingSettings = Field(default_factory=ImageEmbeddingSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    linking: LinkingSettings = Field(default_factory=LinkingSettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)

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

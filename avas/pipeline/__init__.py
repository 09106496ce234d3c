"""The ingest pipeline: a short orchestrator (``run``) over its stages.

    run.py      IngestPipeline: decode -> segment -> perceive -> assemble -> commit
    feed.py     speech handed to the event it falls in; time shifts of a resumed stream
    records.py  an event's observation -> its graph records (nodes, edges, embeddings)
    stages.py   the per-run collaborators (segmenter, merger, linker, summariser)

Perceiving an event is ``avas.perception.event``; ids and reports are ``avas.ingest``.
"""

from avas.ingest.ids import default_video_id, live_video_id, validate_video_id
from avas.ingest.progress import IngestReport, Progress, ProgressFn
from avas.pipeline.run import EventHook, IngestPipeline, RunStats

__all__ = [
    "EventHook",
    "IngestPipeline",
    "IngestReport",
    "Progress",
    "ProgressFn",
    "RunStats",
    "default_video_id",
    "live_video_id",
    "validate_video_id",
]

"""Where to cut a video into chunks, and the exact event windows a single-process ingest makes.

    keys = keyframes_ms(path, settings.ingest)
    chunks = plan_chunks(keys, duration_ms=info.duration_ms, chunk_ms=600_000, overlap_ms=20_000)
    parts = [segment_windows(path, settings, c.read_from_ms, c.read_to_ms, ...) for c in chunks]
    windows = stitch_windows(parts, bridge=...)   # == the windows of one uninterrupted pass

Why two passes: the segmenter starts an event at a shot cut or after ``max_event_ms``, so a chunk
that starts mid-scene splits it elsewhere than one pass over the whole video would. Its state is
empty right after each close, though, so from the first event start it shares with the true
segmentation on, a chunk's windows are the true ones. The segmentation pass (decode + a 64x36
thumbnail per sample) is cheap next to perception; it runs per chunk with an overlap, the parts
are stitched where they agree, and perception then runs on exact windows, so the chunked ingest
produces the same event spans, hence the same deterministic ids, as a single-process one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from avas.config import IngestSettings, Settings
from avas.errors import InputError
from avas.ingest.intake import ffmpeg_input_args, require_tool, run_tool


class Chunk(BaseModel):
    """A stretch of one video for one task: nominal [start_ms, end_ms) between keyframes, read
    over [read_from_ms, read_to_ms) (the overlap on both sides lets the seams be stitched)."""

    index: int
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    read_from_ms: int = Field(ge=0)
    read_to_ms: int = Field(ge=0)
    final: bool = False


class Window(BaseModel):
    """An event's span as the segmenter closes it; ``cut``: it ended at a shot cut."""

    start_ms: int
    end_ms: int
    cut: bool = False


class SegmentPart(BaseModel):
    """The windows of one chunk's segmentation pass. ``final``: it reached the video's end, so its
    last window is a true one; otherwise the last window was closed by the chunk's end."""

    read_from_ms: int
    read_to_ms: int
    windows: list[Window]
    final: bool
    cpu_s: float = 0.0


def keyframes_ms(path: str | Path, settings: IngestSettings) -> list[int]:
    """Presentation times of the video's keyframes (demuxing only: no decoding)."""
    cmd = [require_tool("ffprobe"), "-v", "error", *ffmpeg_input_args()]
    cmd += ["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags"]
    cmd += ["-of", "csv=p=0", "-i", str(path)]
    # Like the probe's timestamp scan: its timeout plus a second per 20 MB.
    size = Path(path).stat().st_size
    out = run_tool(
        cmd,
        Path(path),
        timeout_s=settings.probe_timeout_ms / 1000 + size / 20e6,
        what="keyframe scan",
    )
    keys: set[int] = set()
    for line in (out or "").splitlines():
        pts, _, flags = line.strip().partition(",")
        if "K" in flags and pts not in ("", "N/A"):
            try:
                keys.add(round(float(pts) * 1000))
            except ValueError:
                continue
    return sorted(k for k in keys if k >= 0)


def plan_chunks(
    keyframes: Sequence[int],
    *,
    duration_ms: int,
    chunk_ms: int,
    overlap_ms: int,
    from_ms: int = 0,
    stride_ms: int = 1000,
) -> list[Chunk]:
    """Chunks of about ``chunk_ms`` over [from_ms, duration_ms), each starting at a keyframe.

    A boundary is the last keyframe at or before each multiple of ``chunk_ms``; a stretch with no
    keyframe makes its chunk longer. Reads start ``overlap_ms`` early, on the sampling grid of an
    uninterrupted pass (multiples of ``stride_ms``), so both sample the same frames.
    """
    if chunk_ms <= 0 or duration_ms <= from_ms:
        return []
    starts = [from_ms]
    k = from_ms // chunk_ms + 1
    while k * chunk_ms < duration_ms:
        target = k * chunk_ms
        best = max((t for t in keyframes if starts[-1] < t <= target), default=None)
        if best is not None and best - starts[-1] >= stride_ms:
            starts.append(best)
        k += 1
    chunks = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else duration_ms
        read_from = max(from_ms, start - overlap_ms) if i else from_ms
        chunks.append(
            Chunk(
                index=i,
                start_ms=start,
                end_ms=end,
                read_from_ms=(read_from // stride_ms) * stride_ms if i else from_ms,
                read_to_ms=min(duration_ms, end + overlap_ms),
                final=i + 1 == len(starts),
            )
        )
    return chunks


def segment_windows(
    uri: str | Path, settings: Settings, from_ms: int, to_ms: int, *, final: bool
) -> SegmentPart:
    """The segmenter alone over the frames in [from_ms, to_ms), as ``IngestPipeline.run`` feeds
    it (same sampling, same thresholds, same end-of-video flush when ``final``)."""
    from avas.ingest import open_source
    from avas.segment.scene_cut import SceneCutSegmenter

    seg = settings.segment
    segmenter = SceneCutSegmenter(
        min_event_ms=seg.min_event_ms, max_event_ms=seg.max_event_ms, threshold=seg.cut_threshold
    )
    stride_ms = round(1000 / settings.ingest.sample_fps)
    source = open_source(uri, settings.ingest)
    windows: list[Window] = []
    last_ms = None
    try:
        duration_ms = source.info.duration_ms
        # Sampling from a multiple of the stride picks the frames an uninterrupted pass picks.
        frames = source.frames(from_ms // stride_ms * stride_ms)
        try:
            for frame in frames:
                if frame.ts_ms < from_ms:
                    continue
                if not final and frame.ts_ms >= to_ms:
                    break
                last_ms = frame.ts_ms
                windows += [
                    Window(start_ms=w.span.start_ms, end_ms=w.span.end_ms, cut=w.cut)
                    for w in segmenter.push(frame)
                ]
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
        stopped = getattr(source, "stopped", None)
    finally:
        source.close()
    if last_ms is None:
        if final:
            return SegmentPart(read_from_ms=from_ms, read_to_ms=to_ms, windows=[], final=True)
        raise InputError(f"no decodable frames in {uri} between {from_ms} and {to_ms} ms")
    # The same end as IngestPipeline.run: the last sample plus a stride, or the container's
    # duration when the stream did not stop early.
    end_ms = last_ms + stride_ms
    if final and duration_ms is not None and not stopped:
        end_ms = max(end_ms, duration_ms)
    if not final:
        end_ms = max(end_ms, to_ms)
    windows += [
        Window(start_ms=w.span.start_ms, end_ms=w.span.end_ms, cut=w.cut)
        for w in segmenter.flush(end_ms)
    ]
    return SegmentPart(read_from_ms=from_ms, read_to_ms=end_ms, windows=windows, final=final)


Bridge = Callable[[int, int, bool], SegmentPart]


def stitch_windows(parts: Sequence[SegmentPart], bridge: Bridge) -> list[Window]:
    """One tiling of the video from per-chunk segmentations (in time order).

    The first part starts where the true segmentation has an event start (0, or where a resumed
    run left off), so it is true throughout; its last window is true but for its end. The next
    part is true from the first event start it shares with the windows known so far. Where
    none is shared (one long scene covers the whole overlap), ``bridge(from_ms, to_ms, final)``
    segments again from the open window's start, which is true, and that part takes its place.
    """
    if not parts:
        return []
    known = list(parts[0].windows)
    final = parts[0].final
    for part in parts[1:]:
        joined = _join(known, part.windows) if known else list(part.windows)
        if joined is None:
            # Segment again from the open window's start (true), to the part's end: the bridge is
            # true throughout, and the next part is stitched onto it the same way.
            tail = known[-1]
            joined = known[:-1] + bridge(tail.start_ms, part.read_to_ms, part.final).windows
        known, final = joined, part.final
    if not final:
        raise AssertionError("the last part does not reach the end of the video")
    return known


def _join(known: list[Window], part: list[Window]) -> list[Window] | None:
    """``known`` up to the first event start it shares with ``part``, then ``part``."""
    starts = {w.start_ms for w in known}
    for i, w in enumerate(part):
        if w.start_ms in starts:
            return [k for k in known if k.start_ms < w.start_ms] + part[i:]
    return None


def group_windows(windows: Sequence[Window], chunk_ms: int) -> list[list[Window]]:
    """Consecutive windows in groups of about ``chunk_ms`` (a new group at the first window
    starting past each multiple): one perception task per group."""
    groups: list[list[Window]] = []
    for w in windows:
        if not groups or w.start_ms // chunk_ms > groups[-1][0].start_ms // chunk_ms:
            groups.append([w])
        else:
            groups[-1].append(w)
    return groups

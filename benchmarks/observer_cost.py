"""Cost per event of each offline observer, on one generated video, in one process.

    .venv/bin/python -m benchmarks.observer_cost --minutes 3

Each observer runs over the same events the pipeline would cut (shot cuts, 1 fps samples):
OCR (RapidOCR on the frames the pipeline would read), speech (faster-whisper whisper-base over
the event's audio window), presence (background model), people (HOG) and faces (Haar cascade) on
every n-th frame as in ingest, visual signals, embeddings (MiniLM).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from avas.config import Settings
from avas.ingest import open_source
from avas.media.sample import make_sample_video
from avas.perception.detect_base import detect_event
from avas.perception.presence import PresenceDetector
from avas.perception.visual import colour_words, motion_words
from avas.segment.scene_cut import SceneCutSegmenter
from avas.service import Service
from benchmarks.ingest_speed import long_spec


def main() -> None:
    parser = argparse.ArgumentParser(description="per-event observer cost")
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "sample.mp4"
        make_sample_video(video, long_spec(args.minutes))
        settings = Settings(home=Path(tmp) / "home")
        service = Service(settings)
        reader, asr, embedder = service.text_reader, service.speech_recognizer, service.embedder
        assert reader is not None and asr is not None
        source = open_source(video, settings.ingest)
        seg = SceneCutSegmenter(
            min_event_ms=settings.segment.min_event_ms,
            max_event_ms=settings.segment.max_event_ms,
            threshold=settings.segment.cut_threshold,
        )
        windows = [w for f in source.frames() for w in seg.push(f)]
        windows += seg.flush(source.info.duration_ms or 0)
        audio = np.concatenate([c.samples for c in source.audio()])
        source.close()
        wall: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)  # this process's CPU: fair under load
        presence = PresenceDetector()
        people, faces = service.detectors  # both on by default
        every_n = settings.perception.detector_every_n

        @contextmanager
        def timed(name: str) -> Iterator[None]:
            t, c = time.perf_counter(), time.process_time()
            yield
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)

        for w in windows:
            with timed("ocr (1 read)"):  # first frame, always read
                texts = [ln.text for ln in reader.read(w.frames[0].rgb)]
            with timed("speech (whisper-base)"):
                pieces = list(asr.transcribe(audio[w.span.start_ms * 16 : w.span.end_ms * 16]))
            with timed("presence (all frames)"):
                for f in w.frames:
                    presence.update(f)
            for detector in (people, faces):
                with timed(f"{detector.signal} (1 in {every_n} frames)"):
                    detect_event(w.frames, [detector], every_n=every_n)
            with timed("visual signals"):
                colour_words(w.frames[len(w.frames) // 2].rgb)
                motion_words(w.motion)
            with timed("embeddings (MiniLM)"):
                embedder.embed(["Scene description " + " ".join(texts), *[p.text for p in pieces]])
        service.close()
    frames = sum(len(w.frames) for w in windows)
    print(f"{len(windows)} events ({frames} sampled frames), {args.minutes:g} min of video")
    print(f"{'observer':<24} | {'mean ms/event':>13} | {'p95 ms/event':>12} | {'CPU ms/event':>12}")
    print("-" * 71)
    for name, values in wall.items():
        ms = np.asarray(values) * 1000
        cpu_ms = np.mean(cpu[name]) * 1000
        print(f"{name:<24} | {ms.mean():>13.1f} | {np.percentile(ms, 95):>12.1f} | {cpu_ms:>12.1f}")
    print("CPU ms/event is this process only: OCR runs in a worker process (not counted).")


if __name__ == "__main__":
    main()

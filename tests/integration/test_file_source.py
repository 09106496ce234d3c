"""The file decoder holds only what it hands out, however slow its consumer (counting the memory
of the decoder's own process and of the caller).

decord's decoder thread kept decoding ahead after each batch while perception worked on the
frames, and kept every decoded frame: on a 5-minute 25 fps file that was 2.7 GB within seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

from avas.ingest.file_source import FileSource
from avas.ingest.probe import probe_video
from avas.media.sample import SampleManifest


def _rss_mib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def test_a_slow_consumer_does_not_let_the_decoder_run_ahead(sample: SampleManifest) -> None:
    info = probe_video(Path(sample.path))
    source = FileSource(info, sample_fps=1, max_side_px=640, batch=8)
    frames = source.frames()
    first = next(frames)  # one batch decoded; the rest of the file is still to come
    decoder = source.decoder.pid  # decoding happens in this child process
    assert decoder is not None
    before = _rss_mib() + _rss_mib(decoder)
    time.sleep(1.5)  # perception at work: ~1,400 frames of 640x360 left, ~1 GB if decoded
    grown = _rss_mib() + _rss_mib(decoder) - before
    rest = list(frames)
    source.close()
    assert grown < 200, f"RSS grew {grown} MiB while the consumer was busy"
    # ...and parking the decoder loses no frame: one a second to the end, in order.
    stamps = [first.ts_ms] + [f.ts_ms for f in rest]
    assert stamps == sorted(stamps)
    assert len(stamps) >= sample.duration_ms // 1000 - 1

"""OCR in a recycled worker process reads like the in-process reader and really recycles."""

from __future__ import annotations

import cv2
import numpy as np

from avas.perception.ocr_process import ProcessTextReader


def _frame(text: str) -> np.ndarray:
    rgb = np.full((360, 640, 3), 255, np.uint8)
    cv2.putText(rgb, text, (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (0, 0, 0), 5)
    return rgb


def test_reads_across_a_recycle() -> None:
    reader = ProcessTextReader(recycle_after=2)
    try:
        first = reader.read(_frame("GATE 42"))
        pid = reader._proc.pid
        reader.read(_frame("GATE 42"))
        third = reader.read(_frame("GATE 42"))  # the third read starts a new worker
        assert reader._proc.pid != pid
    finally:
        reader.close()
    assert [line.text.replace(" ", "") for line in first] == ["GATE42"]
    assert [line.text for line in third] == [line.text for line in first]
    assert reader._proc is None  # closed: no worker left behind


def test_concurrent_readers_get_their_own_text() -> None:
    # The monitor ingests each stream on its own thread through one shared reader.
    from concurrent.futures import ThreadPoolExecutor

    reader = ProcessTextReader(recycle_after=1000)
    frames = {"GATE 42": _frame("GATE 42"), "DOCK 7": _frame("DOCK 7")}
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            jobs = [(want, pool.submit(reader.read, frames[want])) for want in [*frames] * 4]
            for want, job in jobs:
                assert [ln.text.replace(" ", "") for ln in job.result()] == [want.replace(" ", "")]
    finally:
        reader.close()

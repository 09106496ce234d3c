"""Helpers of the cluster tests (pytest puts this folder on the path)."""

from __future__ import annotations

from pathlib import Path

import psutil

from avas.cluster.seams import tiling_problems
from avas.config import Settings
from avas.service import Service
from graph_schema import Event


def fresh_service(tmp_path: Path) -> Service:
    return Service(Settings(home=tmp_path / "home"))


def assert_tiles_like(ours: list[Event], theirs: list[Event], duration_ms: int) -> None:
    """The same tiling up to the online merge: windows are identical by construction, but a
    chunk's first events see a fresh foreground model, so two like events may be merged on one
    side only. Every boundary of either is a window boundary, and they differ by at most 2."""
    assert tiling_problems(ours, duration_ms=duration_ms) == []
    assert abs(len(ours) - len(theirs)) <= 2
    a, b = {e.span.start_ms for e in ours}, {e.span.start_ms for e in theirs}
    assert len(a ^ b) <= 2, sorted(a ^ b)
    assert {e.id for e in ours} & {e.id for e in theirs}


def ours() -> list[tuple[psutil.Process, str]]:
    """This test process's descendants (the cluster's processes): the only ones a test may
    kill; other Ray clusters may run on the same machine."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            found.append((proc, " ".join(proc.cmdline())))
        except psutil.Error:  # it ended meanwhile
            continue
    return found


def ray_workers(title: str) -> list[psutil.Process]:
    """This test's Ray worker processes whose title starts with ``title`` (Ray titles a worker
    after its actor class or task name). A worker's own child, caught between fork and exec
    (ffmpeg, the decoder, the OCR worker), still carries the worker's title: it is left out,
    or a test would count it as a second actor, or kill it instead of the worker."""
    titled = [p for p, cmdline in ours() if cmdline.startswith(title)]
    pids = {p.pid for p in titled}
    found = []
    for proc in titled:
        try:
            if proc.ppid() not in pids:
                found.append(proc)
        except psutil.Error:  # it ended meanwhile
            continue
    return found

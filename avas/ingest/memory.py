"""Give memory that malloc keeps after a free back to the operating system.

    release_freed_memory()   # after each committed event

Why: ingest allocates frame-sized buffers (~0.7 MB each, 22 MB per decoded batch) in several
threads at once (decoder, speech, perception libraries). glibc serves each thread from its own
arena and keeps freed chunks there; their pages stay resident, fragment, and the process grew
from 0.6 to 5.8 GB over a 60-minute ingest although live data stayed under 100 MB (measured
with tracemalloc and /proc/self/smaps: the growth was 64 MB glibc heaps, not Python objects).
``malloc_trim(0)`` returns the free pages of every arena; measured on a 3-minute ingest, RSS
fell back to ~0.9 GB after each event instead of staying at 2.4 GB. A no-op where the C library
is not glibc.

Later it turned out that most of that 64 MB-heap growth was live memory, not fragmentation:
decord's decoder thread decoding ahead between batches (``FileSource`` now parks it; 60/5-minute
peak RSS went from 1.39 to 1.09). Trimming stays, for the frame and audio buffers that per-thread
arenas do keep; its share of the current numbers has not been measured separately.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> bool:
    """Trim every malloc arena; False where that is not possible (musl, macOS)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True

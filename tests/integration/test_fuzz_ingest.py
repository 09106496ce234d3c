"""A short run of the intake fuzz suite (benchmarks/fuzz_ingest.py) with a fixed seed."""

from __future__ import annotations

import pytest
from tests_support import shared_path

from benchmarks.fuzz_ingest import run

pytestmark = pytest.mark.slow


def test_twenty_fuzzed_clips_never_crash_hang_or_damage_the_store() -> None:
    result = run(seed=7, n=20, limit_s=60, models="fast", media=shared_path("media"))
    counts = result["counts"]
    bad = {key: c for key, c in counts.items() if key[1] in ("crash", "hang", "other error")}
    assert bad == {}, result["examples"]
    assert result["store_problems"] == 0, result["final"]
    # Playlists and manifests named .mp4 are refused, every one of them.
    playlists = {outcome for (kind, outcome) in counts if kind == "playlist"}
    assert playlists == {"refused"}
    # The suite is not refusing everything: some damaged clips still ingest.
    assert counts.keys() & {(kind, "ok") for kind in ("bitflip", "zeroed", "splice", "truncate")}

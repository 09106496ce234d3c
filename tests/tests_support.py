"""Helpers shared by test modules (import as `tests_support`; pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(relative: str) -> Path:
    """A file under ../shared, or a skip naming what is missing (users' clones have no shared/)."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared exists only on the project's machines")
    return path

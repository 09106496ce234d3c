"""The offline event description: assembled only from what observers really reported.

describe(visual="mostly blue, bright", motion="still", texts=["LOADING DOCK B"], speech=[...])
"""

from __future__ import annotations


def describe(
    *, visual: str, motion: str, texts: list[str], speech: list[str], foreground: float = 0.0
) -> str:
    parts = [f"Scene: {visual}, {motion}."]
    if foreground >= 0.5:
        parts.append("Something is in the foreground (not part of the background).")
    if texts:
        parts.append("On-screen text: " + "; ".join(f"“{t}”" for t in texts) + ".")
    if speech:
        parts.append("Speech: " + " ".join(f"“{s}”" for s in speech))
    return " ".join(parts)

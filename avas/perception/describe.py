"""The offline event description: assembled only from what observers really reported.

describe(visual="mostly blue, bright", motion="still", texts=["LOADING DOCK B"], speech=[...])
"""

from __future__ import annotations


def describe(
    *,
    visual: str,
    motion: str,
    texts: list[str],
    speech: list[str],
    foreground: float = 0.0,
    people: int | None = None,
    faces: int | None = None,
) -> str:
    """``people`` / ``faces``: the most the detectors saw at once; None = no detector ran.

    Zero says nothing: the detectors miss people (seated, from above, far away), so their
    silence is no evidence that nobody was there.
    """
    parts = [f"Scene: {visual}, {motion}."]
    if foreground >= 0.5:
        parts.append("Something is in the foreground (not part of the background).")
    if people:
        parts.append(
            "A person is visible." if people == 1 else f"{people} people are visible at once."
        )
    if faces:
        parts.append(
            "A face is turned to the camera."
            if faces == 1
            else f"{faces} faces are turned to the camera."
        )
    if texts:
        parts.append("On-screen text: " + "; ".join(f"“{t}”" for t in texts) + ".")
    if speech:
        parts.append("Speech: " + " ".join(f"“{s}”" for s in speech))
    return " ".join(parts)

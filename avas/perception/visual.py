"""Cheap, honest visual signals: dominant colour, brightness and motion level.

colour_words(frame.rgb)   # -> "mostly blue, bright"
"""

from __future__ import annotations

import cv2
import numpy as np

from avas.ingest.base import RGBImage

# OpenCV hue runs 0-179; upper bounds of each named band.
_HUES = (
    (8, "red"),
    (22, "orange"),
    (35, "yellow"),
    (85, "green"),
    (100, "cyan"),
    (130, "blue"),
    (160, "purple"),
    (180, "red"),
)


def colour_words(rgb: RGBImage) -> str:
    small = cv2.resize(rgb, (64, 36), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    value = float(hsv[:, 2].mean())
    light = "dark" if value < 70 else "bright" if value > 170 else "medium brightness"
    saturated = hsv[hsv[:, 1] > 80]
    if len(saturated) < len(hsv) * 0.25:
        tone = "black" if value < 50 else "white" if value > 200 else "grey"
        return f"mostly {tone}, {light}"
    counts = np.bincount(saturated[:, 0], minlength=180)
    names: dict[str, int] = {}
    lo = 0
    for hi, name in _HUES:
        names[name] = names.get(name, 0) + int(counts[lo:hi].sum())
        lo = hi
    ranked = sorted(names.items(), key=lambda kv: -kv[1])
    top, top_n = ranked[0]
    share = top_n / len(hsv)
    if share > 0.5:
        return f"mostly {top}, {light}"
    second = ranked[1][0]
    return f"multicoloured ({top} and {second}), {light}"


def motion_words(motion: list[float]) -> str:
    level = float(np.mean(motion)) if motion else 0.0
    return "still" if level < 2 else "some motion" if level < 12 else "much motion"

"""Frames and the FrameSource seam.

for frame in source.frames():
    print(frame.ts_ms, frame.rgb.shape)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]  # H x W x 3, RGB order


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled frame, already downscaled to the perception size."""

    ts_ms: int
    rgb: RGBImage


class FrameSource(Protocol):
    def frames(self) -> Iterator[Frame]:
        """Sampled frames in time order."""
        ...

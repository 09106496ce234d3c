"""OpenCV with the features a detector needs, or a DependencyError that says how to repair it.

cv2 = require_opencv("HOGDescriptor", "HOGDescriptor_getDefaultPeopleDetector")

OpenCV 5 dropped the HOG people detector and the Haar cascades; a second OpenCV wheel installed
beside ours (both write the same ``cv2`` package) can bring it back in.
"""

from __future__ import annotations

from typing import Any

from avas.errors import DependencyError

OPENCV_SPEC = "opencv-python>=4.9,<5"
REPAIR = (
    "pip uninstall -y opencv-python opencv-python-headless && "
    f'pip install --force-reinstall --no-deps "{OPENCV_SPEC}"'
)


def require_opencv(*features: str) -> Any:
    """The ``cv2`` module, once it is known to have every attribute in ``features``."""
    import cv2  # lazily: nothing heavy at import time

    missing = [name for name in features if not hasattr(cv2, name)]
    if missing:
        version = getattr(cv2, "__version__", "?")
        raise DependencyError(
            f"OpenCV {version} ({getattr(cv2, '__file__', 'cv2')}) lacks {', '.join(missing)}, "
            f"which AVAS's detectors need (OpenCV 5 dropped them); repair with: {REPAIR}"
        )
    return cv2

"""The detectors skip a checked frame whose picture has not changed since they last ran.

Real frames of ../shared/media/one-by-one-person-detection.mp4 (skips where absent) and the real
HOG people detector; only the number of calls is counted around it.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests_support import shared_path

from avas.config import Settings
from avas.ingest import open_source
from avas.ingest.base import Frame
from avas.perception.detect_base import (
    CHANGED_PIXEL_DELTA,
    FrameDetections,
    changed_share,
    detect_event,
)
from avas.perception.detect_faces_haar import HaarFaceDetector
from avas.perception.detect_people_hog import HogPeopleDetector


class CountingHog(HogPeopleDetector):
    """The real detector, counting the frames it was run on."""

    calls: list[int]

    def detect(self, frame: Frame) -> FrameDetections:
        self.calls.append(frame.ts_ms)
        return super().detect(frame)


class CountingHaar(HaarFaceDetector):
    calls: list[int]

    def detect(self, frame: Frame) -> FrameDetections:
        self.calls.append(frame.ts_ms)
        return super().detect(frame)


def _thumb(value: int = 100) -> np.ndarray:
    return np.full((90, 160), value, dtype=np.int16)


def test_sensor_noise_is_no_change_but_a_small_person_or_face_is() -> None:
    """Thumbnails of a 640x360 frame; each detector runs again at half its smallest find."""
    people, faces = HogPeopleDetector(), HaarFaceDetector()
    person_bar = people.smallest_share(640, 360) / 2
    face_bar = faces.smallest_share(640, 360) / 2
    still = _thumb()
    noisy = still + np.random.default_rng(0).integers(-8, 9, still.shape).astype(np.int16)
    assert changed_share(still, noisy) < face_bar < person_bar
    # half a person at HOG's smallest (85x171 px of the frame: 21x43 thumbnail pixels) in view
    person = still.copy()
    person[20:63, 70:81] += 3 * CHANGED_PIXEL_DELTA
    assert changed_share(still, person) >= person_bar
    # a face at the cascade's smallest, 40 px: 10x10 thumbnail pixels; HOG need not run again
    face = still.copy()
    face[20:30, 20:30] -= 2 * CHANGED_PIXEL_DELTA
    assert person_bar > changed_share(still, face) >= face_bar


@pytest.fixture(scope="module")
def scene() -> tuple[Frame, Frame]:
    """An empty frame of the room and one with a person the detector finds."""
    path = shared_path("media/one-by-one-person-detection.mp4")
    source = open_source(path, Settings().ingest)
    try:
        frames = list(source.frames())
    finally:
        source.close()
    hog = HogPeopleDetector()
    empty = next(f for f in frames[:5] if hog.detect(f).count("person") == 0)
    person = next(f for f in frames[6:18] if hog.detect(f).count("person") == 1)
    return empty, person


def _window(pictures: list[Frame]) -> list[Frame]:
    """The pictures one second apart, as sampled frames of one event."""
    return [Frame(ts_ms=i * 1000, rgb=p.rgb) for i, p in enumerate(pictures)]


@pytest.mark.shared
def test_a_still_stretch_is_detected_once_and_a_person_walking_in_is_found(
    scene: tuple[Frame, Frame],
) -> None:
    empty, person = scene
    hog = CountingHog()
    hog.calls = []
    # an empty room for 5 s, then a person is there: the change runs the detector again
    signals = detect_event(_window([empty] * 5 + [person]), [hog])
    assert signals == {"people": 1.0}
    assert hog.calls == [0, 5000]
    # the person leaves: the empty room is detected on again, and holds no one
    hog.calls = []
    signals = detect_event(_window([person, empty, empty]), [hog])
    assert signals == {"people": 1.0}
    assert hog.calls == [0, 1000]


@pytest.mark.shared
def test_counts_are_carried_no_longer_than_the_refresh(scene: tuple[Frame, Frame]) -> None:
    _, person = scene
    hog = CountingHog()
    hog.calls = []
    assert detect_event(_window([person] * 7), [hog], refresh_ms=3000) == {"people": 1.0}
    assert hog.calls == [0, 3000, 6000]
    hog.calls = []
    assert detect_event(_window([person] * 7), [hog], every_n=2, refresh_ms=0) == {"people": 1.0}
    assert hog.calls == [0, 2000, 4000, 6000]  # refresh 0: every checked frame, as before


@pytest.mark.shared
def test_a_face_sized_change_runs_the_face_cascade_but_not_the_people_detector(
    scene: tuple[Frame, Frame],
) -> None:
    _, person = scene
    patched = person.rgb.copy()
    patched[40:90, 500:550] = 255 - patched[40:90, 500:550]  # 50 px: a face could be there
    hog, haar = CountingHog(), CountingHaar()
    hog.calls, haar.calls = [], []
    frames = _window([person, Frame(ts_ms=0, rgb=patched)])
    assert detect_event(frames, [hog, haar]) == {"people": 1.0, "faces": 0.0}
    assert (hog.calls, haar.calls) == ([0], [0, 1000])

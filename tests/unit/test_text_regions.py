"""Scene-text helpers: proposals find a text band, and only word-like readings are accepted."""

from __future__ import annotations

import cv2
import numpy as np

from avas.perception.text_regions import plausible_text, propose_text_lines, split_run_together

_WORDS = frozenset({"no", "parking", "at", "all", "times", "sports", "centre", "project", "or"})


def test_word_like_readings_pass_and_texture_does_not() -> None:
    for text in ["NO PARKING", "GM 125", "Sports Centre", "HOTEL"]:
        assert plausible_text(text), text
    # What railings, foliage and brick read as: too short, strokes only, no vowel, repeats.
    for text in ["II", "lIlI1", "WWWW", "rnmtk", "|||", "-.-.", "aaaa"]:
        assert not plausible_text(text), text


def test_dropped_spaces_are_restored_only_into_known_words() -> None:
    assert split_run_together("NOPARKING", _WORDS) == "NO PARKING"
    assert split_run_together("ATALLTIMES", _WORDS) == "AT ALL TIMES"
    assert split_run_together("GM125", _WORDS) == "GM 125"
    assert split_run_together("SportsCentre", _WORDS) == "Sports Centre"
    # An unknown name keeps its spelling; a trailing two-letter word is not split off.
    assert split_run_together("Wivenhoe Park", _WORDS) == "Wivenhoe Park"
    assert split_run_together("PROJECTOR", _WORDS) == "PROJECTOR"


def test_a_sign_in_a_dark_busy_frame_is_proposed_as_one_line() -> None:
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 60, (360, 640), dtype=np.uint8)  # dark, busy (noise) background
    grey = cv2.GaussianBlur(grey, (0, 0), 2).astype(np.uint8)
    cv2.rectangle(grey, (150, 150), (490, 230), 25, -1)  # a dark sign
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 1.6, 4
    cv2.putText(grey, "CAR PARKS", (170, 210), font, scale, 200, thick)
    (width, height), _ = cv2.getTextSize("CAR PARKS", font, scale, thick)
    boxes = propose_text_lines(grey)
    # One box holds the whole line (both words), and none is far larger than it.
    (box,) = [b for b in boxes if b[0] <= 170 and b[2] >= 170 + width - 5]
    assert box[1] <= 210 - height + 4 and box[3] >= 205 and box[2] - box[0] < 1.3 * width
    assert len(boxes) <= 3, boxes  # the noise around it gives few or no bands

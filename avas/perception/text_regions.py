"""Scene-text regions that do not depend on the DB text detector, and a check that a read is text.

    boxes = propose_text_lines(grey)          # [(x0, y0, x1, y1)], line-shaped, in pixels
    plausible_text("NO PARKING")              # True;  plausible_text("lIlI1") -> False

Why: RapidOCR's PP-OCRv4 DB detector returns no box at all on some large, clear signs in dark or
busy real frames, while its recogniser reads the same sign, cropped, at 0.98. Text is a band of
dense, strong, mostly vertical strokes; a morphological gradient, closed along the line direction,
finds such bands whatever the detector thinks. The recogniser then reads each band, and only a
confident, word-like reading is kept, so that foliage and railings do not become "text".
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]

_GRADIENT_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_VOWELS = set("aeiouyAEIOUY")


def propose_text_lines(
    grey: npt.NDArray[Any], *, min_height_px: int = 10, max_boxes: int = 24
) -> list[Box]:
    """Line-shaped bands of strong strokes, largest first, at two scales (small and large text)."""
    boxes: list[Box] = []
    for scale in (1.0, 0.5):
        image = grey if scale == 1.0 else cv2.resize(grey, None, fx=scale, fy=scale)
        for x0, y0, x1, y1 in _bands(image, min_height_px=max(6, round(min_height_px * scale))):
            boxes.append(
                (round(x0 / scale), round(y0 / scale), round(x1 / scale), round(y1 / scale))
            )
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    kept: list[Box] = []
    for box in boxes:  # the two scales find the same line twice: keep the larger box
        if all(overlap(box, k) < 0.5 for k in kept):
            kept.append(box)
    return kept[:max_boxes]


def _bands(grey: npt.NDArray[Any], *, min_height_px: int) -> list[Box]:
    h, w = grey.shape[:2]
    # Local contrast first: a sign in a dark frame has strong strokes only relative to its area.
    norm = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)
    gradient = cv2.morphologyEx(norm, cv2.MORPH_GRADIENT, _GRADIENT_KERNEL)
    _, binary = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Join the letters and words of a line (horizontally), not the lines of a sign (1 px tall).
    joined = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, w // 30), 1))
    )
    joined = cv2.morphologyEx(
        joined, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    )
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Box] = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if bh < min_height_px or bh > h // 3 or bw < 1.5 * bh or bw > 0.95 * w:
            continue
        # Text strokes fill a good part of their band, but not all of it (a plain bar would).
        fill = float(np.count_nonzero(binary[y : y + bh, x : x + bw])) / (bw * bh)
        if not 0.2 <= fill <= 0.85:
            continue
        found.append((x, y, x + bw, y + bh))
    padded = []
    for x0, y0, x1, y1 in _group_words(found):
        pad = max(2, (y1 - y0) // 4)
        padded.append((max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)))
    return padded


def _group_words(boxes: list[Box]) -> list[Box]:
    """Join word boxes into line boxes: side by side, alike in height, less than a height apart.

    The recogniser reads a whole line better than its words one by one, and in one call.
    """
    lines: list[Box] = []
    for box in sorted(boxes):
        for k, line in enumerate(lines):
            height = max(box[3] - box[1], line[3] - line[1])
            shared = min(box[3], line[3]) - max(box[1], line[1])
            if shared >= 0.6 * min(box[3] - box[1], line[3] - line[1]) and (
                0 <= box[0] - line[2] <= height
            ):
                lines[k] = (line[0], min(line[1], box[1]), box[2], max(line[3], box[3]))
                break
        else:
            lines.append(box)
    return lines


def overlap(a: Box, b: Box) -> float:
    """The share of the smaller box that the two boxes have in common."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def plausible_text(text: str, *, min_chars: int = 3) -> bool:
    """Whether a recogniser's reading of a proposal looks like words, not texture.

    At least ``min_chars`` letters or digits, mostly letters or digits, and every long run of
    letters has a vowel and no character repeated four times: texture reads as "lllI" or "WWWW".
    """
    stripped = text.replace(" ", "")
    alnum = sum(c.isalnum() for c in stripped)
    if alnum < min_chars or alnum < 0.8 * len(stripped):
        return False
    for token in _TOKEN.findall(text):
        letters = [c for c in token if c.isalpha()]
        if len(letters) >= 4 and not _VOWELS.intersection(letters):
            return False
        if re.search(r"(.)\1\1\1", token.lower()):
            return False
        if len(letters) >= 3 and set(token.lower()) <= set("il1|"):
            return False
    return True


_LETTERS_THEN_DIGITS = re.compile(r"(?<=[A-Za-z]{2})(?=[0-9]{2})|(?<=[0-9]{2})(?=[A-Za-z]{2})")


def split_run_together(text: str, vocabulary: frozenset[str]) -> str:
    """Restore spaces the recogniser dropped: "NOPARKING" -> "NO PARKING", "GM125" -> "GM 125".

    A run of letters that is not a word itself is split only when 2-3 known words (3+ letters,
    but for the first) make it up exactly (fewest parts, then the longest shortest part); else
    it is left alone, so an unknown name ("Wivenhoe") keeps its spelling.
    """
    out = []
    for token in _LETTERS_THEN_DIGITS.sub(" ", text).split(" "):
        out.append(_split_word(token, vocabulary) if token else token)
    return " ".join(out)


def _split_word(token: str, vocabulary: frozenset[str]) -> str:
    low = token.lower()
    if len(low) < 6 or not low.isalpha() or low in vocabulary:
        return token
    best: tuple[int, int, list[int]] | None = None  # (parts, -shortest part, cut positions)
    n = len(low)
    # Only the first part may have two letters ("NO PARKING"): a trailing "or" or "in" is
    # far more often the end of an unknown word ("PROJECTOR") than a word of its own.
    for i in range(2, n - 2):
        if low[:i] not in vocabulary:
            continue
        if low[i:] in vocabulary:
            cand = (2, -min(i, n - i), [i])
            best = min(best, cand) if best else cand
        for j in range(i + 3, n - 3):  # a last part of 3 is often a suffix ("ing"): 4+
            if low[i:j] in vocabulary and low[j:] in vocabulary:
                cand = (3, -min(i, j - i, n - j), [i, j])
                best = min(best, cand) if best else cand
    if best is None:
        return token
    cuts = [0, *best[2], n]
    return " ".join(token[a:b] for a, b in itertools.pairwise(cuts))

"""Scene-text recall and precision on real photographs, RapidOCR's detector alone vs with proposals.

    .venv/bin/python -m benchmarks.scene_text

The photographs are OpenCV's scene-text samples from Debian's opencv-doc package (installed by
scripts/setup; never copied into the repo), annotated by hand in tests/data/scene_text.json. Each
is scaled to 640 px on its longest side as ingest scales frames, and read in three conditions:
  - as shot;
  - dark: light cut to a quarter, plus sensor noise (a street at night);
  - far: the photo at half size inside a blurred, darkened copy of itself (a sign far away).
Word-level: recall = annotated words read (exact, case-folded, punctuation dropped) / annotated
words; precision = read words that are annotated (or marked optional) / read words. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from avas.perception.base import TextLine

ANNOTATIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "scene_text.json"
Image = npt.NDArray[np.uint8]


def words(text: str) -> set[str]:
    return {w for w in re.sub(r"[^a-z0-9 ]", "", text.lower().replace("'", "")).split() if w}


def load(path: Path, max_side_px: int = 640) -> Image:
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise FileNotFoundError(path)
    h, w = bgr.shape[:2]
    scale = max_side_px / max(h, w)
    small = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, :, ::-1])


def dark(rgb: Image) -> Image:
    rng = np.random.default_rng(0)
    out = rgb.astype(np.float32) * 0.25 + rng.normal(0, 5, rgb.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def far(rgb: Image) -> Image:
    h, w = rgb.shape[:2]
    canvas = (cv2.GaussianBlur(rgb, (0, 0), 8) * 0.5).astype(np.uint8)
    canvas[h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2] = cv2.resize(
        rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA
    )
    return canvas


CONDITIONS: dict[str, Callable[[Image], Image]] = {"as shot": lambda x: x, "dark": dark, "far": far}


def score(
    images: list[dict[str, object]],
    read: Callable[[Image], list[TextLine]],
    root: Path,
    condition: str,
) -> tuple[int, int, int, int, float]:
    """(annotated words found, annotated words, read words that are right, read words, s/frame)."""
    found = wanted = right = read_n = 0
    seconds = 0.0
    for image in images:
        rgb = CONDITIONS[condition](load(root / str(image["file"])))
        truth = set().union(*(words(str(line["text"])) for line in image["lines"]))  # type: ignore[attr-defined]
        optional = set().union(*(words(str(w)) for w in image["optional"]))  # type: ignore[attr-defined]
        started = time.perf_counter()
        lines = read(rgb)
        seconds += time.perf_counter() - started
        got = set().union(*(words(line.text) for line in lines)) if lines else set()
        found += len(truth & got)
        wanted += len(truth)
        right += len(got & (truth | optional))
        read_n += len(got)
    return found, wanted, right, read_n, seconds / len(images)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    from avas.perception.ocr_rapid import RapidTextReader

    spec = json.loads(ANNOTATIONS.read_text())
    root = Path(spec["root"])
    if not (root / spec["images"][0]["file"]).exists():
        raise SystemExit(f"{root} is absent: apt-get install {spec['package']}")
    reader = RapidTextReader(threads=2)
    before = RapidTextReader(threads=2, split_words=False)  # RapidOCR as AVAS used it before
    methods = {
        "RapidOCR as before": before.read,
        "+ word split (read)": reader.read,
        "+ proposals (read_thorough)": reader.read_thorough,
    }
    header = (
        f"{'condition':>9} | {'method':>27} | {'recall':>14} | {'precision':>14} | {'s/frame':>7}"
    )
    print(f"{len(spec['images'])} photographs")
    print(header)
    print("-" * len(header))
    for condition in CONDITIONS:
        for name, read in methods.items():
            found, wanted, right, read_n, per = score(spec["images"], read, root, condition)
            print(
                f"{condition:>9} | {name:>27} | {found / wanted:>5.3f} ({found:>2}/{wanted:<2}) | "
                f"{right / max(1, read_n):>5.3f} ({right:>2}/{read_n:<2}) | {per:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

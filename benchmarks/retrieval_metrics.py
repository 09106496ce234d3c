"""Moment retrieval quality per modality and fused, on a generated corpus with planted facts.

    .venv/bin/python -m benchmarks.retrieval_metrics --dir /tmp/avas-moments --videos 20

Builds (once; later runs reuse ``--dir``) ``--videos`` short videos of three 10 s scenes, each
scene with its own background colour, on-screen text and spoken sentence, and ingests them with
the offline default (RapidOCR, whisper-base, MiniLM). Then asks one query per planted fact:
  - text:   the on-screen text as written ("NORTH DEPOT 10"), over the whole corpus;
  - speech: words of the sentence ("pelican found a lantern"), over the whole corpus;
  - scene:  the background colour ("the red scene"), within the fact's video (colours repeat).
A query is answered at rank k when one of the first k moments is in the right video and overlaps
the planted span; IoU is the rank-1 moment's temporal IoU with that span (0 when wrong).
Retrieval runs four ways: speech only, on-screen text only, captions only, and fused.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from avas.config import Settings
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.retrieval.moments import MomentFinder
from avas.retrieval.query import MODALITIES, Modality
from avas.service import Service
from graph_schema import TimeSpan

SCENES_PER_VIDEO = 3
SCENE_MS = 10_000
_FIRST = "NORTH SOUTH EAST WEST UPPER LOWER".split()
_SECOND = "DEPOT HANGAR ARCHIVE CLINIC GARAGE LIBRARY MARKET STUDIO TERMINAL WAREHOUSE".split()
_ANIMALS = (
    "pelican giraffe dolphin beaver falcon tortoise penguin kangaroo octopus squirrel walrus badger"
).split()
_OBJECTS = "lantern violin umbrella compass kettle telescope bicycle ladder blanket trumpet".split()
_PLACES = "harbor forest bakery stadium museum garden station".split()
# Backgrounds whose colour the offline captioner names, and the word it uses for each.
_COLOURS = {"red": "red", "green": "green", "blue": "blue", "purple": "purple", "gray": "grey"}

RUNS: dict[str, tuple[Modality, ...]] = {
    "speech only": ("speech",),
    "text only": ("text",),
    "caption only": ("caption",),
    "fused": MODALITIES,
}


class Query(BaseModel):
    kind: str  # the planted fact's kind: text, speech or scene
    text: str
    video_id: str
    truth: TimeSpan
    within_video: bool


def scene_facts(n: int) -> tuple[str, str, str]:
    """(on-screen text, sentence, speech query) for the n-th scene of the corpus; all distinct."""
    text = f"{_FIRST[n % len(_FIRST)]} {_SECOND[n // len(_FIRST) % len(_SECOND)]} {10 + n}"
    animal = _ANIMALS[n % len(_ANIMALS)]
    obj = _OBJECTS[(n // len(_ANIMALS) + n % len(_ANIMALS)) % len(_OBJECTS)]
    place = _PLACES[n % len(_PLACES)]
    sentence = f"The {animal} found a {obj} near the {place}."
    return text, sentence, f"{animal} found a {obj}"


def video_spec(index: int) -> SampleSpec:
    colours = list(_COLOURS)
    scenes = []
    for j in range(SCENES_PER_VIDEO):
        text, sentence, _ = scene_facts(index * SCENES_PER_VIDEO + j)
        scenes.append(
            SceneSpec(
                duration_ms=SCENE_MS,
                background=colours[(index + j) % len(colours)],
                text=text,
                speech=[SpeechSpec(offset_ms=1_000, text=sentence)],
            )
        )
    return SampleSpec(scenes=scenes)


def build_corpus(root: Path, videos: int) -> tuple[Service, list[SampleManifest]]:
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    service = Service(Settings(home=root / "home"))
    manifests = []
    for i in range(videos):
        name = f"v{i:02d}"
        path = media / f"{name}.mp4"
        json_path = path.with_suffix(".json")
        if json_path.is_file():
            manifest = SampleManifest.model_validate_json(json_path.read_text(encoding="utf-8"))
        else:
            manifest = make_sample_video(path, video_spec(i))
        stored = service.store.get_video(name)
        if stored is None or stored.status != "complete":
            started = time.perf_counter()
            service.ingest(path, name=name)
            print(f"ingested {name} in {time.perf_counter() - started:.1f} s", flush=True)
        manifests.append(manifest)
    return service, manifests


def corpus_queries(manifests: Sequence[SampleManifest]) -> list[Query]:
    queries = []
    for i, manifest in enumerate(manifests):
        vid = f"v{i:02d}"
        for j, scene in enumerate(manifest.scenes()):
            _, _, speech_query = scene_facts(i * SCENES_PER_VIDEO + j)
            text = next(f for f in manifest.texts() if f.span == scene.span)
            speech = next(f for f in manifest.speech() if scene.span.overlaps(f.span))
            colour = _COLOURS[scene.text]
            queries += [
                Query(
                    kind="text", text=text.text, video_id=vid, truth=text.span,
                    within_video=False,
                ),
                Query(
                    kind="speech", text=speech_query, video_id=vid, truth=speech.span,
                    within_video=False,
                ),
                Query(
                    kind="scene", text=f"the {colour} scene", video_id=vid, truth=scene.span,
                    within_video=True,
                ),
            ]  # fmt: skip
    return queries


class Score(BaseModel):
    r1: float
    r5: float
    iou: float
    by_kind_r1: dict[str, float]
    ms_per_query: float


def evaluate(finder: MomentFinder, queries: Sequence[Query], mods: Sequence[Modality]) -> Score:
    r1 = r5 = iou = 0.0
    kind_hits: dict[str, list[float]] = {}
    started = time.perf_counter()
    for q in queries:
        moments = finder.find(
            q.text, video_id=q.video_id if q.within_video else None, k=5, modalities=mods
        )
        right = [m.video_id == q.video_id and m.span.overlaps(q.truth) for m in moments]
        first = bool(right[:1] and right[0])
        r1 += first
        r5 += any(right)
        iou += moments[0].span.iou(q.truth) if first else 0.0
        kind_hits.setdefault(q.kind, []).append(float(first))
    elapsed = time.perf_counter() - started
    n = len(queries)
    return Score(
        r1=r1 / n,
        r5=r5 / n,
        iou=iou / n,
        by_kind_r1={k: sum(v) / len(v) for k, v in sorted(kind_hits.items())},
        ms_per_query=1000 * elapsed / n,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/avas-bench-moments"))
    parser.add_argument("--videos", type=int, default=20)
    args = parser.parse_args(argv)
    service, manifests = build_corpus(args.dir, args.videos)
    finder = MomentFinder(service.store, service.embedder)
    queries = corpus_queries(manifests)
    print(f"\n{len(manifests)} videos, {len(queries)} queries (one per planted fact)\n")
    kinds = sorted({q.kind for q in queries})
    header = f"{'retrieval':<14}{'R@1':>7}{'R@5':>7}{'mIoU':>7}"
    header += "".join(f"{'R@1 ' + k:>12}" for k in kinds) + f"{'ms/query':>10}"
    print(header)
    print("-" * len(header))
    for name, mods in RUNS.items():
        s = evaluate(finder, queries, mods)
        row = f"{name:<14}{s.r1:>7.3f}{s.r5:>7.3f}{s.iou:>7.3f}"
        row += "".join(f"{s.by_kind_r1[k]:>12.3f}" for k in kinds) + f"{s.ms_per_query:>10.1f}"
        print(row)
    service.close()


if __name__ == "__main__":
    main()

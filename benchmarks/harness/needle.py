"""Long needle-in-a-video benchmarks: planted facts at known times, questions in LVBench's format.

bench = make_needle_benchmark(Path("out"), minutes=10, seed=0)
questions = load_lvbench(bench.annotations)  # scored by the same rules as LVBench
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from avas.errors import InputError
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from benchmarks.harness.datasets import LETTERS, format_clock
from graph_schema.models import TimeSpan

FILLER_BACKGROUNDS = ("red", "green", "blue", "gray", "purple")
SCENE_CHANGE_BACKGROUND = "smptebars"  # used once, as the planted scene change
FILLER_SPEECH = (
    "Nothing unusual is happening here at the moment.",
    "The camera keeps recording the empty room.",
    "Please stand by for further announcements.",
    "This part of the recording is routine footage.",
)
# (event phrase, question phrase); values are cities, so every distractor is another event's city.
SPOKEN_SUBJECTS = (
    "quarterly sales meeting",
    "chemistry workshop",
    "charity concert",
    "robotics competition",
    "film festival",
    "chess tournament",
    "wine tasting",
    "cycling race",
)
CITIES = ("Lisbon", "Denver", "Osaka", "Nairobi", "Oslo", "Lima", "Cairo", "Dublin")
SIGN_PREFIXES = ("GATE", "DOCK", "HANGAR", "TERMINAL", "PLATFORM", "TOWER", "BUNKER", "VAULT")
SIGN_NAMES = ("FALCON", "ORCHID", "GRANITE", "MAPLE", "COBALT", "SAFFRON", "TUNDRA", "JASPER")
COUNT_ITEMS = ("LANTERN", "BALLOON", "COMPASS", "TEAPOT")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FACT_SCENE_MS = 12_000
SIGN_SCENE_MS = 10_000
FILLER_SCENE_MS = 30_000
MIN_FILLER_MS = 3_000


class NeedleBenchmark(BaseModel):
    key: str
    video: Path
    annotations: Path
    manifest: SampleManifest
    questions: int


@dataclass
class _Planted:
    """A scene carrying a fact; its span is known once the scenes are laid out."""

    scene: SceneSpec
    role: str
    value: str = ""
    label: str = ""
    index: int = field(default=-1)


def _filler(rng: random.Random, duration_ms: int, previous: str | None) -> SceneSpec:
    background = rng.choice([b for b in FILLER_BACKGROUNDS if b != previous])
    speech = []
    if duration_ms >= 15_000 and rng.random() < 0.4:
        speech = [SpeechSpec(offset_ms=3_000, text=rng.choice(FILLER_SPEECH))]
    return SceneSpec(duration_ms=duration_ms, background=background, speech=speech)


def _counts(minutes: float) -> tuple[int, int]:
    """How many spoken facts and signs: more in longer videos, within the value pools."""
    n = max(2, min(len(CITIES), 2 + int(minutes // 5)))
    return n, n


def _plan(minutes: float, rng: random.Random) -> tuple[list[SceneSpec], list[_Planted]]:
    n_spoken, n_signs = _counts(minutes)
    planted: list[_Planted] = []
    subjects = rng.sample(SPOKEN_SUBJECTS, n_spoken)
    for subject, city in zip(subjects, rng.sample(CITIES, n_spoken), strict=True):
        sentence = f"The {subject} will take place in {city}."
        scene = SceneSpec(
            duration_ms=FACT_SCENE_MS,
            background=rng.choice(FILLER_BACKGROUNDS),
            speech=[SpeechSpec(offset_ms=2_000, text=sentence)],
        )
        planted.append(_Planted(scene, "spoken", value=city, label=subject))
    prefixes = rng.sample(SIGN_PREFIXES, n_signs)
    for prefix, name in zip(prefixes, rng.sample(SIGN_NAMES, n_signs), strict=True):
        scene = SceneSpec(
            duration_ms=SIGN_SCENE_MS,
            background=rng.choice(FILLER_BACKGROUNDS),
            text=f"{prefix} {name}",
        )
        planted.append(_Planted(scene, "sign", value=name, label=prefix))
    item = rng.choice(COUNT_ITEMS)
    low, high = (2, 3) if minutes < 5 else (2, 4) if minutes < 20 else (3, 7)
    for _ in range(rng.randint(low, high)):
        scene = SceneSpec(
            duration_ms=SIGN_SCENE_MS, background=rng.choice(FILLER_BACKGROUNDS), text=item
        )
        planted.append(_Planted(scene, "count", value=item))
    change = SceneSpec(duration_ms=SIGN_SCENE_MS, background=SCENE_CHANGE_BACKGROUND)
    planted.append(_Planted(change, "change"))
    rng.shuffle(planted)

    planted_ms = sum(p.scene.duration_ms for p in planted)
    filler_ms = round(minutes * 60_000) - planted_ms
    # One filler before each planted scene (no two needles touch) plus one at the end.
    slots = max(len(planted) + 1, filler_ms // FILLER_SCENE_MS)
    if filler_ms < slots * MIN_FILLER_MS:
        raise InputError(
            f"{minutes:g} min is too short for {len(planted)} planted scenes; "
            f"use at least {(planted_ms + slots * MIN_FILLER_MS) / 60_000:.1f} min"
        )
    # Whole seconds keep every scene whole frames at any integer fps.
    base_s, extra_s = divmod(filler_ms // 1000, slots)
    fillers = [(base_s + (1 if i < extra_s else 0)) * 1000 for i in range(slots)]
    # Which filler each planted scene follows: distinct slots, so needles never touch.
    after = sorted(rng.sample(range(slots - 1), len(planted)))
    scenes: list[SceneSpec] = []
    queue = iter(planted)
    previous: str | None = None
    for i, duration_ms in enumerate(fillers):
        scenes.append(_filler(rng, duration_ms, previous))
        previous = scenes[-1].background
        if i in after:
            p = next(queue)
            if p.scene.background == previous and p.role != "change":
                p.scene.background = rng.choice([b for b in FILLER_BACKGROUNDS if b != previous])
            p.index = len(scenes)
            scenes.append(p.scene)
            previous = p.scene.background
    return scenes, planted


def _options(
    rng: random.Random, truth: str, pool: list[str], extra: tuple[str, ...]
) -> tuple[list[str], str]:
    """Four options: the truth plus distractors from the other planted values, topped up."""
    others = [v for v in dict.fromkeys(pool) if v != truth]
    rng.shuffle(others)
    spare = [v for v in extra if v != truth and v not in others]
    rng.shuffle(spare)
    options = [truth, *(others + spare)[:3]]
    rng.shuffle(options)
    return options, LETTERS[options.index(truth)]


def _span_text(span: TimeSpan) -> str:
    end_ms = -(-span.end_ms // 1000) * 1000  # round the end up to the next whole second
    return f"{format_clock(span.start_ms)}-{format_clock(end_ms)}"


def _qa(
    uid: str, question: str, options: list[str], answer: str, types: list[str], span: TimeSpan
) -> dict[str, object]:
    lines = "\n".join(f"({LETTERS[i]}) {o}" for i, o in enumerate(options))
    return {
        "uid": uid,
        "question": f"{question}\n{lines}",
        "answer": answer,
        "question_type": types,
        "time_reference": _span_text(span),
    }


def _questions(
    key: str, planted: list[_Planted], manifest: SampleManifest, rng: random.Random
) -> list[dict[str, object]]:
    spans = [f.span for f in manifest.scenes()]
    speech = {f.text: f.span for f in manifest.speech()}
    spoken = [p for p in planted if p.role == "spoken"]
    signs = [p for p in planted if p.role == "sign"]
    counted = [p for p in planted if p.role == "count"]
    change = next(p for p in planted if p.role == "change")
    qas: list[dict[str, object]] = []

    def uid() -> str:
        return f"{key}-{len(qas) + 1}"

    cities = [p.value for p in spoken]
    for p in spoken:
        span = speech[p.scene.speech[0].text]
        options, answer = _options(rng, p.value, cities, CITIES)
        q = f"In which city will the {p.label} take place?"
        qas.append(_qa(uid(), q, options, answer, ["key information retrieval"], span))
    names = [p.value for p in signs]
    for p in signs:
        options, answer = _options(rng, p.value, names, SIGN_NAMES)
        q = f"Which name is written on the {p.label} sign shown in the video?"
        qas.append(_qa(uid(), q, options, answer, ["entity recognition"], spans[p.index]))

    # Temporal grounding: the distractor spans are other needles' spans (equally plausible).
    needle_spans = {_span_text(spans[p.index]): spans[p.index] for p in planted}
    grounded = [(change, "When do colour bars fill the screen?")]
    grounded += [(p, f"When is the {p.label} {p.value} sign shown?") for p in signs[:1]]
    grounded += [(p, f"When is the {p.label} announced?") for p in spoken[:1]]
    for p, q in grounded:
        span = spans[p.index]
        options, answer = _options(rng, _span_text(span), list(needle_spans), ())
        qas.append(_qa(uid(), q, options, answer, ["temporal grounding"], span))

    n = len(counted)
    count_pool = [NUMBER_WORDS[k] for k in range(max(1, n - 2), min(9, n + 3))]
    options, answer = _options(rng, NUMBER_WORDS[n], count_pool, NUMBER_WORDS[1:9])
    first, last = spans[counted[0].index], spans[counted[-1].index]
    q = f"How many separate times does the word {counted[0].value} appear on screen?"
    qas.append(
        _qa(uid(), q, options, answer, ["event understanding", "reasoning"], first.union(last))
    )

    if len(signs) >= 3:
        chosen = sorted(rng.sample(signs, 3), key=lambda p: p.index)
        truth = ", then ".join(p.value for p in chosen)
        perms = [", then ".join(p.value for p in rng.sample(chosen, 3)) for _ in range(30)]
        options, answer = _options(rng, truth, perms, ())
        names_asked = ", ".join(sorted(p.value for p in chosen))
        q = f"In which order do the signs named {names_asked} appear?"
        span = spans[chosen[0].index].union(spans[chosen[-1].index])
        qas.append(_qa(uid(), q, options, answer, ["reasoning", "temporal grounding"], span))

    topics = [p.label for p in spoken]
    others = [s for s in SPOKEN_SUBJECTS if s not in topics]
    if len(others) >= 3:
        truth = rng.choice(topics)
        options, answer = _options(rng, truth, others, ())
        q = "Which of these events is announced in the video?"
        span = speech[next(p for p in spoken if p.label == truth).scene.speech[0].text]
        qas.append(_qa(uid(), q, options, answer, ["summarization"], span))
    return qas


def make_needle_benchmark(out_dir: Path, minutes: float, seed: int = 0) -> NeedleBenchmark:
    """Write ``<key>.mp4`` (+ its manifest ``<key>.json``) and ``<key>.meta.jsonl`` in ``out_dir``.

    The same (minutes, seed) always gives the same video plan and the same questions.
    """
    if minutes <= 0:
        raise InputError(f"minutes must be positive, got {minutes}")
    rng = random.Random(f"needle:{minutes:g}:{seed}")
    key = f"needle-{minutes:g}m-s{seed}"
    scenes, planted = _plan(minutes, rng)
    spec = SampleSpec(scenes=scenes)
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{key}.mp4"
    manifest = make_sample_video(video, spec)
    qas = _questions(key, planted, manifest, rng)
    record = {
        "key": key,
        "type": "needle",
        "video": video.name,
        "qa": qas,
        "video_info": {
            "duration_minutes": manifest.duration_ms / 60_000,
            "fps": spec.fps,
            "resolution": {"width": spec.width, "height": spec.height},
        },
    }
    annotations = out_dir / f"{key}.meta.jsonl"
    annotations.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return NeedleBenchmark(
        key=key, video=video, annotations=annotations, manifest=manifest, questions=len(qas)
    )

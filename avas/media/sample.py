"""Synthetic videos with planted facts at known times, for `avas demo` and the tests.

manifest = make_sample_video(Path("/tmp/demo.mp4"), short_spec())
budget = next(f for f in manifest.speech() if "budget" in f.text)  # budget.span is the truth
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from avas.errors import DependencyError, InputError
from graph_schema.models import TimeSpan

# Background name -> lavfi source; every source is trimmed to the scene, so endless ones are fine.
BACKGROUNDS: dict[str, str] = {
    "red": "color=c=0xb01818:s={size}:r={fps}",
    "green": "color=c=0x187a28:s={size}:r={fps}",
    "blue": "color=c=0x1838a0:s={size}:r={fps}",
    "gray": "color=c=0x606060:s={size}:r={fps}",
    "purple": "color=c=0x602080:s={size}:r={fps}",
    # testsrc2 burns in its own clock and frame counter, which OCR reads as extra text.
    "testsrc2": "testsrc2=s={size}:r={fps}",
    "smptebars": "smptebars=s={size}:r={fps}",
    # The default maxiter makes mandelbrot the slowest source by far; 256 looks the same here.
    "mandelbrot": "mandelbrot=s={size}:r={fps}:maxiter=256",
}
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),  # Debian/Ubuntu
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),  # Fedora
    Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),  # Arch
)
ESPEAK_RATE = 22_050  # espeak-ng's native output rate; mixing at it avoids a resample per clip


class SpeechSpec(BaseModel):
    offset_ms: int = Field(ge=0)
    text: str = Field(min_length=1)


class SceneSpec(BaseModel):
    duration_ms: int = Field(gt=0)
    background: str
    text: str | None = None
    speech: list[SpeechSpec] = []

    @field_validator("background")
    @classmethod
    def _known_background(cls, value: str) -> str:
        if value not in BACKGROUNDS:
            raise ValueError(f"unknown background {value!r}; choose from {sorted(BACKGROUNDS)}")
        return value


class SampleSpec(BaseModel):
    scenes: list[SceneSpec] = Field(min_length=1)
    # yuv420p needs even dimensions.
    width: int = Field(default=640, gt=0, multiple_of=2)
    height: int = Field(default=360, gt=0, multiple_of=2)
    fps: int = Field(default=25, gt=0)

    @model_validator(mode="after")
    def _whole_frames(self) -> SampleSpec:
        # A scene cut mid-frame is rounded by ffmpeg, and the video drifts from the manifest.
        for i, scene in enumerate(self.scenes):
            if scene.duration_ms * self.fps % 1000:
                raise ValueError(
                    f"scene {i}: {scene.duration_ms} ms is not whole frames at {self.fps} fps"
                )
        return self


class PlantedFact(BaseModel):
    kind: Literal["speech", "text", "scene"]
    text: str
    span: TimeSpan


class SampleManifest(BaseModel):
    path: str
    duration_ms: int
    width: int
    height: int
    facts: list[PlantedFact]

    def speech(self) -> list[PlantedFact]:
        return [f for f in self.facts if f.kind == "speech"]

    def texts(self) -> list[PlantedFact]:
        return [f for f in self.facts if f.kind == "text"]

    def scenes(self) -> list[PlantedFact]:
        return [f for f in self.facts if f.kind == "scene"]


# (background, on-screen text, spoken sentence): distinct words per scene so a retrieval hit
# can only come from the right span.
_SCRIPT = (
    ("blue", "WELCOME TO AVAS", "Welcome to the video analytics demo from the main office."),
    ("purple", "LOADING DOCK B", "A yellow forklift is moving pallets at the loading dock."),
    ("green", "BUDGET REVIEW 2026", "The budget for next year is four million dollars."),
    ("smptebars", "HARBOR BRIDGE", "The harbor bridge will close for repairs on Friday."),
    ("red", "NIGHT SHIFT 3", "The night shift starts at midnight with three guards."),
    ("mandelbrot", "EXIT GATE 7", "Visitors must leave through gate seven before sunset."),
)


def _scripted(count: int, scene_ms: int, offset_ms: int) -> SampleSpec:
    return SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=scene_ms,
                background=bg,
                text=text,
                speech=[SpeechSpec(offset_ms=offset_ms, text=sentence)],
            )
            for bg, text, sentence in _SCRIPT[:count]
        ]
    )


def demo_spec() -> SampleSpec:
    """Three minutes: six 30 s scenes, one on-screen text and one sentence each."""
    return _scripted(6, 30_000, 5_000)


def short_spec() -> SampleSpec:
    """One minute: the first four demo scenes at 15 s each, for fast tests."""
    return _scripted(4, 15_000, 3_000)


def _require(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise DependencyError(f"{tool} is not installed (Debian package: {package})")
    return found


def _font() -> Path:
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise DependencyError(
        "font DejaVuSans-Bold.ttf not found (Debian package: fonts-dejavu-core); "
        f"looked in {', '.join(str(c) for c in FONT_CANDIDATES)}"
    )


def _speak(espeak: str, text: str, wav: Path) -> int:
    """Render one sentence to wav; returns its duration in ms."""
    # --stdin keeps a sentence that starts with "-" from being read as an option.
    proc = subprocess.run(
        [espeak, "-v", "en-us", "-s", "150", "-w", str(wav), "--stdin"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not wav.is_file():
        raise DependencyError(f"espeak-ng failed on {text!r}: {proc.stderr.strip()[-300:]}")
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() * 1000 // w.getframerate()


def _check_output(path: Path) -> None:
    if path.suffix.lower() == ".json":
        raise InputError(f"output must not end in .json, the manifest's name: {path}")
    if path.is_dir():
        raise InputError(f"output path is a directory, not a file: {path}")
    if not path.parent.is_dir():
        raise InputError(f"output directory does not exist: {path.parent}")
    if not os.access(path.parent, os.W_OK):
        raise InputError(f"output directory is not writable: {path.parent}")


def make_sample_video(path: Path, spec: SampleSpec | None = None) -> SampleManifest:
    """Write an H.264/AAC mp4 at `path` and its manifest at `path.with_suffix(".json")`."""
    spec = spec if spec is not None else demo_spec()
    # Absolute, because ffmpeg runs inside the temp dir (see below).
    path = Path(path).expanduser().resolve()
    _check_output(path)
    ffmpeg = _require("ffmpeg", "ffmpeg")
    font = _font()
    needs_speech = any(scene.speech for scene in spec.scenes)
    espeak = _require("espeak-ng", "espeak-ng") if needs_speech else ""

    size, fps = f"{spec.width}x{spec.height}", spec.fps
    facts: list[PlantedFact] = []
    video: list[str] = []
    audio: list[str] = []
    wavs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="avas-sample-") as tmp:
        start_ms = 0
        for i, scene in enumerate(spec.scenes):
            span = TimeSpan(start_ms=start_ms, end_ms=start_ms + scene.duration_ms)
            facts.append(PlantedFact(kind="scene", text=scene.background, span=span))
            chain = BACKGROUNDS[scene.background].format(size=size, fps=fps)
            chain += f",trim=duration={scene.duration_ms / 1000:.3f},setsar=1"
            if scene.text:
                facts.append(PlantedFact(kind="text", text=scene.text, span=span))
                # Text goes through a file named by index so no user text is ever parsed as
                # filtergraph syntax; ffmpeg runs with cwd=tmp, so the name needs no escaping.
                (Path(tmp) / f"text{i}.txt").write_text(scene.text, encoding="utf-8")
                # Bold capitals average ~0.72 em wide: shrink long texts to fit 85% of the width.
                fontsize = min(spec.height // 8, int(spec.width * 0.85 / (0.72 * len(scene.text))))
                # An opaque box with a narrow border: RapidOCR misread ("BUDGETP", "ETOAVAS")
                # both with a translucent box and with a border wider than ~1/3 of the font size.
                chain += (
                    f",drawtext=fontfile={font}:textfile=text{i}.txt:expansion=none"
                    f":fontsize={max(fontsize, 8)}:fontcolor=white:box=1:boxcolor=black"
                    f":boxborderw={max(fontsize // 3, 2)}:x=(w-text_w)/2:y=(h-text_h)/2"
                )
            video.append(f"{chain}[v{i}]")

            speech_end_ms = 0
            for line in sorted(scene.speech, key=lambda s: s.offset_ms):
                wav = Path(tmp) / f"speech{len(wavs)}.wav"
                length_ms = _speak(espeak, line.text, wav)
                if line.offset_ms < speech_end_ms:
                    raise InputError(
                        f"scene {i}: speech {line.text!r} at {line.offset_ms} ms overlaps the "
                        f"previous sentence, which runs to {speech_end_ms} ms"
                    )
                speech_end_ms = line.offset_ms + length_ms
                if speech_end_ms > scene.duration_ms:
                    raise InputError(
                        f"scene {i}: speech {line.text!r} runs to {speech_end_ms} ms, past the "
                        f"scene's {scene.duration_ms} ms; move it earlier or lengthen the scene"
                    )
                at_ms = start_ms + line.offset_ms
                end_ms = start_ms + speech_end_ms
                facts.append(
                    PlantedFact(
                        kind="speech", text=line.text, span=TimeSpan(start_ms=at_ms, end_ms=end_ms)
                    )
                )
                audio.append(f"[{len(wavs)}:a]adelay=delays={at_ms}:all=1[s{len(wavs)}]")
                wavs.append(wav.name)
            start_ms = span.end_ms

        total_ms = start_ms
        labels = "".join(f"[v{i}]" for i in range(len(spec.scenes)))
        video.append(f"{labels}concat=n={len(spec.scenes)}:v=1:a=0,format=yuv420p[v]")
        # A silent bed of the full length makes the audio track span the whole video;
        # normalize=0 keeps amix from turning every voice down by the input count.
        bed = f"anullsrc=r={ESPEAK_RATE}:cl=mono:d={total_ms / 1000:.3f}"
        mixed = "".join(f"[s{k}]" for k in range(len(wavs)))
        audio.append(
            f"{bed}[bed];[bed]{mixed}amix=inputs={len(wavs) + 1}:duration=first:normalize=0[a]"
            if wavs
            else f"{bed}[a]"
        )

        # Same directory as the target, so the final rename is atomic.
        partial = path.with_name(f".{path.stem}.{os.getpid()}.partial.mp4")
        cmd = [ffmpeg, "-nostdin", "-y", "-v", "error"]
        for name in wavs:
            cmd += ["-i", name]
        cmd += ["-filter_complex", ";".join(video + audio), "-map", "[v]", "-map", "[a]"]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-g", str(2 * fps)]
        cmd += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k"]
        cmd += ["-movflags", "+faststart", "-f", "mp4", str(partial)]
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                # Usually an ffmpeg built without libx264 or libfreetype (drawtext).
                raise DependencyError(
                    f"ffmpeg failed (exit {proc.returncode}) writing {path}: "
                    f"{proc.stderr.strip()[-600:]}"
                )
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    manifest = SampleManifest(
        path=str(path), duration_ms=total_ms, width=spec.width, height=spec.height, facts=facts
    )
    json_path = path.with_suffix(".json")
    json_partial = json_path.with_name(f".{json_path.name}.{os.getpid()}.partial")
    json_partial.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    os.replace(json_partial, json_path)
    return manifest

"""Ingest speed and memory of the offline default, against plain ffmpeg, side by side in one run.

    .venv/bin/python -m benchmarks.ingest_speed --minutes 5 30 60

For each length: generate a sample video (640x360, scenes with on-screen text and speech), then
  - ffmpeg:  `ffmpeg -i F -vf fps=1 -f null -` wall time (the reference decoder);
  - decode:  AVAS's decode stage alone (FileSource.frames at 1 fps, downscaled), same file;
  - ingest:  a full ingest into a fresh store, in a child process so its peak RSS is its own
             (model loading excluded from the time: paid once per process).
Prints a table; the numbers are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from avas.config import Settings
from avas.media.sample import SampleSpec, SceneSpec, demo_spec, make_sample_video


def long_spec(minutes: float) -> SampleSpec:
    """The demo's six scenes, repeated until the video lasts ``minutes``."""
    base = demo_spec().scenes
    scenes: list[SceneSpec] = []
    total_ms = 0
    while total_ms < minutes * 60_000:
        scene = base[len(scenes) % len(base)]
        scenes.append(scene.model_copy(deep=True))
        total_ms += scene.duration_ms
    return SampleSpec(scenes=scenes)


def time_ffmpeg(path: Path) -> float:
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-vf", "fps=1", "-f", "null", "-"], check=True
    )
    return time.perf_counter() - started


class _ChildPeaks:
    """Samples the peak RSS (VmHWM) of this process's children every half second."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for pid in _children(os.getpid()):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:  # it ended meanwhile
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], _children(pid)
    while todo:
        child_pid = todo.pop()
        found.append(child_pid)
        todo += _children(child_pid)
    return found


_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def _stat_cpu_s(path: Path, *, with_reaped: bool) -> float | None:
    """utime + stime (+ reaped children's) from a /proc stat file, in seconds."""
    try:
        fields = path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):  # it ended meanwhile
        return None
    # After the ")" of comm: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks * _TICK_S


def _process_stage(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other child"
    if "avas.ingest.decode_worker" in cmdline:
        return "decoder child"
    if "multiprocessing" in cmdline:
        return "OCR worker"
    if "ffmpeg" in cmdline.split(" ", 1)[0]:
        return "audio ffmpeg"
    return "other child"


# Python threads of the ingest process, by (a part of) the name they were started with.
_THREAD_STAGES = {
    "MainThread": "main thread",
    "avas-detect": "detectors",
    "transcribe": "ASR (whisper)",
    "frames": "frame reader",
}


def _thread_stage(name: str) -> str:
    return next((v for k, v in _THREAD_STAGES.items() if k in name), f"thread {name}")


class CpuSampler:
    """CPU seconds per stage of an ingest: this process's threads and its child processes.

    RUSAGE_CHILDREN counts only children that ended and were waited for, so the live tree is
    sampled from /proc every ``every_s``: each thread and each descendant keeps the last value
    seen (a child that ends loses at most one interval). Python threads are named by their
    thread name; native threads (whisper's, torch's) by their OS name.
    """

    def __init__(self, every_s: float = 1.0, native: dict[int, str] | None = None) -> None:
        self._last: dict[tuple[str, int], tuple[str, float]] = {}
        self._native = native or {}
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="avas-cpu-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        names = {t.native_id: t.name for t in threading.enumerate()}
        for task in Path(f"/proc/{me}/task").iterdir():
            tid = int(task.name)
            cpu = _stat_cpu_s(task / "stat", with_reaped=False)
            if cpu is None:
                continue
            if tid in names:
                stage = _thread_stage(names[tid])
            else:
                stage = f"native threads of {self._native.get(tid, 'ingest')}"
            self._last[("t", tid)] = (stage, cpu)
        for pid in _descendants(me):
            cpu = _stat_cpu_s(Path(f"/proc/{pid}/stat"), with_reaped=True)
            if cpu is not None:
                known = self._last.get(("p", pid))
                stage = known[0] if known else _process_stage(pid)
                self._last[("p", pid)] = (stage, cpu)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._sample()

    def stop(self) -> dict[str, float]:
        """Seconds per stage, and ``total``: exact, from getrusage once the children ended."""
        self._stop.set()
        self._thread.join()
        stages: dict[str, float] = {}
        self._sample()
        for stage, cpu in self._last.values():
            stages[stage] = stages.get(stage, 0.0) + cpu
        own = resource.getrusage(resource.RUSAGE_SELF)
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
        stages["unattributed"] = max(0.0, total - sum(stages.values()))
        stages["total"] = total
        return stages


def _tag_threads(tags: dict[int, str], owner: str) -> None:
    """Threads not yet tagged belong to ``owner`` (the model just warmed up)."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        tags.setdefault(int(task.name), owner)


def _load_tagged(service: Any, video: Path) -> dict[int, str]:
    """Load and warm each model in turn, so its native thread pools can be named."""
    tags: dict[int, str] = {}
    _tag_threads(tags, "startup")
    service.embedder.embed(["warming up the embedder"])
    _tag_threads(tags, "the embedder (torch)")
    if service.speech_recognizer is not None:  # 20 s of the video's own sound
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        cmd = [ffmpeg, "-v", "error", "-i", str(video), "-t", "20", "-vn", "-ac", "1"]
        pcm = subprocess.run([*cmd, "-ar", "16000", "-f", "f32le", "-"], capture_output=True)
        samples = np.frombuffer(pcm.stdout, dtype=np.float32)
        list(service.speech_recognizer.transcribe(samples))
        _tag_threads(tags, "whisper (ctranslate2)")
    _ = service.pipeline  # the rest, outside the timed region
    _tag_threads(tags, "the other models")
    return tags


def child(video: Path, home: Path, stage: str) -> None:
    """Runs in a fresh process: one stage on one file; prints a JSON line."""
    from avas.ingest import open_source
    from avas.service import Service

    settings = Settings(home=home)
    result: dict[str, float | int] = {}
    children = _ChildPeaks()
    if stage == "decode":
        # Timed from before the open: opening probes the file, and a user's ingest pays it too.
        started = time.perf_counter()
        source = open_source(video, settings.ingest)
        result["frames"] = sum(1 for _ in source.frames())
        result["seconds"] = time.perf_counter() - started
        source.close()
    else:
        service = Service(settings)
        native = _load_tagged(service, video)  # outside the timed region
        loaded = CpuSampler(native=native)
        loaded._sample()
        before = loaded.stop()  # what loading the models cost, taken off below
        sampler = CpuSampler(native=native)
        started = time.perf_counter()  # the report's own seconds start after the probe
        report = service.ingest(video, name="bench")
        seconds = time.perf_counter() - started
        service.close()  # ends the OCR worker: its CPU is then in RUSAGE_CHILDREN
        stages = sampler.stop()
        result |= {"seconds": seconds, "events": report.events}
        result |= {"frames": report.frames_sampled, "ocr_frames": report.frames_ocr}
        for stage, cpu in stages.items():
            result[f"cpu:{stage}"] = round(cpu - before.get(stage, 0.0), 2)
    # The ingest process plus its largest child (the OCR worker; ffmpeg readers are small).
    # Not RUSAGE_CHILDREN: a child started by fork/vfork + exec inherits the parent's peak as its
    # own ru_maxrss, which counted this process twice. A child's VmHWM is its own.
    main_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = children.stop()
    result["peak_rss_mib"] = (main_kib + child_kib) / 1024
    result["main_peak_mib"] = main_kib / 1024
    result["child_peak_mib"] = child_kib / 1024
    print(json.dumps(result))


def run_child(video: Path, home: Path, stage: str) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.ingest_speed", "--child", stage, str(video), str(home)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="AVAS ingest speed and memory")
    parser.add_argument("--minutes", type=float, nargs="+", default=[3.0])
    parser.add_argument("--child", nargs=3, metavar=("STAGE", "VIDEO", "HOME"), help="internal")
    args = parser.parse_args()
    if args.child:
        stage, video, home = args.child
        child(Path(video), Path(home), stage)
        return
    header = (
        f"{'video':>7} | {'ffmpeg fps=1':>12} | {'decode stage':>12} | {'decode/ffmpeg':>13} | "
        f"{'full ingest':>11} | {'events':>6} | {'OCR frames':>10} | {'ingest peak RSS':>15} | "
        f"{'main / child':>13}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            video = Path(tmp) / f"sample-{minutes:g}min.mp4"
            manifest = make_sample_video(video, long_spec(minutes))
            media_s = manifest.duration_ms / 1000
            ffmpeg_s = time_ffmpeg(video)
            decode = run_child(video, Path(tmp) / "decode-home", "decode")
            ingest = run_child(video, Path(tmp) / f"home-{minutes:g}", "ingest")
            print(
                f"{minutes:>5g} m | {media_s / ffmpeg_s:>11.1f}x | "
                f"{media_s / decode['seconds']:>11.1f}x | "
                f"{ffmpeg_s / decode['seconds']:>13.2f} | "
                f"{media_s / ingest['seconds']:>10.1f}x | {int(ingest['events']):>6} | "
                f"{int(ingest['ocr_frames']):>4}/{int(ingest['frames']):<5} | "
                f"{ingest['peak_rss_mib']:>11.0f} MiB | "
                f"{ingest['main_peak_mib']:>5.0f} / {ingest['child_peak_mib']:.0f}",
                flush=True,
            )
            video.unlink()


if __name__ == "__main__":
    main()

"""Chunk-parallel ingest on Ray against one process, on the same real-footage video.

    .venv/bin/python -m benchmarks.cluster_ingest --minutes 30 --workers 2 --chunk-minutes 5

The video is benchmarks/ingest_real.py's (the real clips of ../shared/media, looped, with
recorded speech under it). One process ingests it as `avas ingest` does (models loaded before the
clock starts); then a local Ray cluster of ``--workers`` one-CPU workers, all on 127.0.0.1,
ingests it chunked (`avas ingest --ray local`), with the worker processes loading their models
inside the measured time. Prints wall time, x real time, CPU seconds per video minute, the
segmentation pass (the seam overhead) and, from the measured throughput, a projection for 100
hours on N such machines, labelled as such. The machine is shared: its load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ingest_real import SHARED, build
from benchmarks.ingest_speed import run_child


def ray_child(video: Path, home: Path, workers: int, chunk_minutes: float) -> dict[str, float]:
    """Runs in a child process: the chunked ingest, and what it cost."""
    from avas.cluster.ingest import ingest_on_ray
    from avas.cluster.runtime import connected
    from avas.config import Settings
    from avas.service import Service

    service = Service(Settings(home=home))
    service.store  # noqa: B018  (opened before the clock, like the single-process child)
    service.embedder  # noqa: B018
    started = time.perf_counter()
    with connected("local", num_cpus=workers):
        (report,) = ingest_on_ray(service, [video], chunk_ms=round(chunk_minutes * 60_000))
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    events = len(service.store.events(report.video_id or ""))
    service.close()
    if report.error:
        raise SystemExit(report.error)
    return {
        "seconds": seconds,
        "events": events,
        "chunks": report.chunks,
        "plan_chunks": report.plan_chunks,
        "bridges": report.bridges,
        "mismatched": report.mismatched_windows,
        "plan_s": report.plan_seconds,
        "cpu:plan": report.plan_cpu_s,
        "cpu:perceive": report.perceive_cpu_s,
        "cpu:driver": own.ru_utime + own.ru_stime,
        "workers_used": report.workers_used,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="AVAS chunked ingest on Ray vs one process")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-minutes", type=float, default=5.0)
    parser.add_argument("--keep", type=Path, help="reuse or keep the built file here")
    parser.add_argument("--child", nargs=2, metavar=("VIDEO", "HOME"), help="internal")
    args = parser.parse_args()
    if args.child:
        video, home = args.child
        result = ray_child(Path(video), Path(home), args.workers, args.chunk_minutes)
        print(json.dumps(result))
        return
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the real clips exist only on the project's machines")
    with tempfile.TemporaryDirectory() as tmp:
        video = args.keep or Path(tmp) / "real.mp4"
        if not video.exists():
            build(video, args.minutes, Path(tmp))
        media_min = args.minutes
        load = [os.getloadavg()[0]]
        single = run_child(video, Path(tmp) / "single-home", "ingest")
        print(f"1 process: {json.dumps(single)}", flush=True)  # kept if the Ray run fails
        load.append(os.getloadavg()[0])
        cmd = [sys.executable, "-m", "benchmarks.cluster_ingest", "--child", str(video)]
        cmd += [str(Path(tmp) / "ray-home"), "--workers", str(args.workers)]
        cmd += ["--chunk-minutes", str(args.chunk_minutes)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"the Ray run failed:\n{proc.stderr[-4000:]}")
        ray = json.loads(proc.stdout.strip().splitlines()[-1])
        load.append(os.getloadavg()[0])

    ray_cpu = ray["cpu:plan"] + ray["cpu:perceive"] + ray["cpu:driver"]
    rows = [
        ("1 process", single["seconds"], single["cpu:total"], int(single["events"]), "-"),
        (
            f"Ray, {args.workers} workers, {args.chunk_minutes:g} min chunks",
            ray["seconds"],
            ray_cpu,
            int(ray["events"]),
            f"{ray['cpu:plan'] / media_min:.2f} CPU s/min, {ray['plan_s']:.0f} s wall, "
            f"{int(ray['bridges'])} bridges",
        ),
    ]
    header = (
        f"{'run':<32} | {'wall':>7} | {'x real time':>11} | {'CPU s/min':>9} | {'events':>6} | "
        "segmentation pass (seam overhead)"
    )
    print(
        f"{media_min:g} min of real footage; load average 1m: "
        + " / ".join(f"{x:.1f}" for x in load)
    )
    print(header)
    print("-" * len(header))
    for name, wall, cpu, events, seam in rows:
        print(
            f"{name:<32} | {wall:>6.0f}s | {media_min * 60 / wall:>10.1f}x | "
            f"{cpu / media_min:>9.2f} | {events:>6} | {seam}"
        )
    print(
        f"(Ray: {int(ray['chunks'])} perception chunks, {int(ray['plan_chunks'])} segmentation "
        f"tasks, {int(ray['mismatched'])} events off their planned window, "
        f"{int(ray['workers_used'])} worker processes)"
    )
    # A projection, not a measurement: N machines like this one, each at the measured rate.
    rate = media_min * 60 / ray["seconds"]
    print(
        "\nPROJECTION for 100 hours of video (measured rate x N machines, linear scaling assumed):"
    )
    for n in (1, 4, 16, 64):
        hours = 100 / (rate * n)
        print(f"  {n:>3} machines x {args.workers} workers: {hours:6.2f} h")


if __name__ == "__main__":
    main()

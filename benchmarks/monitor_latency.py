"""Alert latency and CPU cost of monitoring live streams, on loopback UDP.

    python -m benchmarks.monitor_latency                 # one 60 s stream, default settings
    python -m benchmarks.monitor_latency --streams 2 --seconds 90

Generates a video whose every other 10 s scene shows "INTRUDER" (and some speech), plays it in
real time to UDP ports with ffmpeg, monitors with a text rule, and prints a table:
- alert latency from the planted text's first appearance on the wire to the alert (p50/p95):
  an event is committed when it ends (the next scene cut, or max_event_ms), so this includes
  the rest of the scene;
- processing latency, from the arrival of the event's last frame to the alert;
- CPU seconds per stream-minute of this process (getrusage; ffmpeg senders excluded), and how
  many such streams the machine's cores could keep up with in real time.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from avas.config import IngestSettings, PerceptionSettings, Settings
from avas.media.sample import SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.monitor import Monitor, MonitorSettings, Rule

SCENE_MS = 10_000


def _spec(seconds: int) -> SampleSpec:
    scenes = []
    backgrounds = ["blue", "green", "gray", "purple"]
    for i in range(max(2, seconds * 1000 // SCENE_MS)):
        planted = i % 2 == 1
        scenes.append(
            SceneSpec(
                duration_ms=SCENE_MS,
                background="red" if planted else backgrounds[(i // 2) % len(backgrounds)],
                text="INTRUDER" if planted else None,
                speech=[SpeechSpec(offset_ms=2_000, text="Please check the side door.")]
                if i % 4 == 0
                else [],
            )
        )
    return SampleSpec(scenes=scenes)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="stream length")
    parser.add_argument("--streams", type=int, default=1, help="concurrent streams")
    parser.add_argument("--no-asr", action="store_true", help="turn speech recognition off")
    parser.add_argument("--sample-fps", type=float, default=1.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="avas-monitor-bench-") as tmp:
        root = Path(tmp)
        manifest = make_sample_video(root / "camera.mp4", _spec(args.seconds))
        planted = [f.span for f in manifest.texts() if f.text == "INTRUDER"]
        perception = PerceptionSettings(asr="none") if args.no_asr else PerceptionSettings()
        from avas.service import Service

        service = Service(
            Settings(
                home=root / "home",
                perception=perception,
                ingest=IngestSettings(sample_fps=args.sample_fps),
            )
        )
        rule = Rule(id="intruder", description="intruder", text_contains=["INTRUDER"], cooldown_s=0)
        monitor = Monitor(
            service,
            [rule],
            [],
            MonitorSettings(alerts_dir=root / "alerts", status_interval_s=0, read_timeout_s=3),
        )  # models load here, before the clock starts
        urls = [f"udp://127.0.0.1:{_free_udp_port()}" for _ in range(args.streams)]
        names = [f"cam{i}" for i in range(args.streams)]
        cpu0, wall0 = _cpu_s(), time.monotonic()
        monitor.start(urls, names=names)
        senders, started = [], {}
        for name, url in zip(names, urls, strict=True):
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-re", "-i", manifest.path]
            cmd += ["-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-c:a", "aac"]
            cmd += ["-f", "mpegts", f"{url}?pkt_size=1316"]
            senders.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL))
            started[name] = time.monotonic()
        for sender in senders:
            sender.wait()
        time.sleep(2)
        monitor.stop()
        cpu_s, wall_s = _cpu_s() - cpu0, time.monotonic() - wall0
        statuses = {s.name: s for s in monitor.status()}
        service.close()

    end_to_end: list[float] = []
    processing: list[float] = []
    found = 0
    for alert in monitor.alerts:
        truth = next((p for p in planted if p.overlaps(alert.span)), None)
        if truth is None:
            continue
        found += 1
        # Media time 0 is the first packet received, about when the sender started.
        appeared = started[alert.stream] + truth.start_ms / 1000
        created = time.monotonic() - (time.time() - alert.created_at.timestamp())
        end_to_end.append(created - appeared)
        if alert.latency_s is not None:
            processing.append(alert.latency_s)
    media_min = args.streams * manifest.duration_ms / 60_000
    per_stream_min = cpu_s / media_min
    cores = os.cpu_count() or 1
    capacity = cores * 60 / per_stream_min if per_stream_min > 0 else float("inf")
    dropped = sum(s.dropped_frames for s in statuses.values())
    rows = [
        ("streams x seconds", f"{args.streams} x {manifest.duration_ms / 1000:.0f}"),
        ("settings", f"sample_fps={args.sample_fps}, asr={'off' if args.no_asr else 'on'}"),
        ("planted / alerted", f"{len(planted) * args.streams} / {found}"),
        ("other alerts", str(len(monitor.alerts) - found)),
        (
            "alert latency p50 / p95 (s)",
            f"{_pct(end_to_end, 0.5):.1f} / {_pct(end_to_end, 0.95):.1f}",
        ),
        ("processing p50 / p95 (s)", f"{_pct(processing, 0.5):.2f} / {_pct(processing, 0.95):.2f}"),
        ("events committed", str(sum(s.events for s in statuses.values()))),
        ("dropped frames", str(dropped)),
        ("CPU s (this process)", f"{cpu_s:.1f} over {wall_s:.0f} s wall"),
        ("CPU s per stream-minute", f"{per_stream_min:.1f}"),
        ("real-time streams on this box", f"~{capacity:.1f} ({cores} cores, CPU-bound estimate)"),
        ("load average (1 min)", f"{os.getloadavg()[0]:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    if end_to_end:
        print(f"\nper-alert latency (s): {[round(x, 1) for x in end_to_end]}")
        print(f"(an event commits at its end: planted scenes last {SCENE_MS / 1000:.0f} s)")


if __name__ == "__main__":
    main()

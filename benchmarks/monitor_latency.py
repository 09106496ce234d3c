"""Alert latency and CPU cost of monitoring live streams, on loopback UDP.

    python -m benchmarks.monitor_latency                 # one 60 s stream, default settings
    python -m benchmarks.monitor_latency --streams 2 --seconds 90

Generates a video whose every other 10 s scene shows "INTRUDER" (and some speech), plays it in
real time to UDP ports with ffmpeg, monitors with a text rule, and prints a table:
- alert latency from the planted text's first appearance on the wire to the alert (p50/p95):
  an event is committed when it ends (the next scene cut, or max_event_ms), so this includes
  the rest of the scene;
- processing latency, from the arrival of the event's last frame to the alert;
- CPU seconds per stream-minute of the whole monitoring process tree: this process, the OCR
  worker process and any decoder child, alive or ended (the ffmpeg senders excluded), and how
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


def _cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the task ended meanwhile
            continue
    return found


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds of a live (or not yet reaped) process, with the children it has reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def _descendants_cpu_s() -> dict[int, float]:
    """Every live descendant of this process and its CPU seconds so far."""
    found: dict[int, float] = {}
    todo = _children(os.getpid())
    while todo:
        pid = todo.pop()
        found[pid] = _proc_cpu_s(pid)
        todo += _children(pid)
    return found


class TreeCpu:
    """CPU seconds of this process and its descendants since ``start()``, some excluded.

    A descendant that was reaped counts through RUSAGE_CHILDREN (its whole life, so what it had
    spent before the start is taken off); one still alive counts from /proc. The excluded
    processes (the ffmpeg senders) are reaped with ``reap``, which takes their usage off.
    """

    def __init__(self) -> None:
        self.self0 = _cpu_s()
        self.children0 = _cpu_s(resource.RUSAGE_CHILDREN)
        self.alive0 = _descendants_cpu_s()  # e.g. the OCR worker, started with the models
        self.excluded_s = 0.0

    def reap(self, proc: subprocess.Popen[bytes]) -> None:
        """Wait for an excluded child; its CPU is not the monitor's."""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.excluded_s += usage.ru_utime + usage.ru_stime

    def split(self) -> tuple[float, float]:
        """(this process, its descendants) CPU seconds since the start."""
        own = _cpu_s() - self.self0
        reaped = _cpu_s(resource.RUSAGE_CHILDREN) - self.children0 - self.excluded_s
        alive = _descendants_cpu_s()
        children = reaped + sum(alive.values()) - sum(self.alive0.values())
        return own, children


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
        cpu, wall0 = TreeCpu(), time.monotonic()
        monitor.start(urls, names=names)
        senders, started = [], {}
        for name, url in zip(names, urls, strict=True):
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-re", "-i", manifest.path]
            cmd += ["-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-c:a", "aac"]
            cmd += ["-f", "mpegts", f"{url}?pkt_size=1316"]
            senders.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL))
            started[name] = time.monotonic()
        for sender in senders:
            cpu.reap(sender)
        time.sleep(2)
        monitor.stop()
        wall_s = time.monotonic() - wall0
        statuses = {s.name: s for s in monitor.status()}
        service.close()  # ends the OCR worker: its CPU moves to RUSAGE_CHILDREN
        own_s, children_s = cpu.split()
        cpu_s = own_s + children_s

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
        (
            "CPU s (process tree)",
            f"{cpu_s:.1f} over {wall_s:.0f} s wall (this process {own_s:.1f}, "
            f"OCR worker and other children {children_s:.1f})",
        ),
        ("CPU s per stream-minute", f"{per_stream_min:.1f}"),
        ("... this process alone (old measure)", f"{own_s / media_min:.1f}"),
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

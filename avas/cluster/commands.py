"""``avas ingest ... --ray`` and ``avas monitor ... --ray``: what the CLI dispatches to.

Output follows the single-process commands: progress lines on stderr (or JSON lines on stdout
with ``--json``), one summary per video; a video that failed is reported and makes the exit code
that of its error, after the others were ingested.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from avas.config import MonitorSettings
from avas.errors import AvasError, InputError
from avas.monitor.state import StreamStatus
from avas.service import Service
from graph_schema import fmt_ms

from .ingest import ClusterProgress, ClusterReport, ingest_on_ray
from .runtime import connected


class VideoFailed(AvasError):
    """One or more videos of a cluster ingest failed (each was reported); exits like its error."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def ingest_command(
    service: Service,
    sources: list[str],
    *,
    name: str | None,
    address: str,
    chunk_minutes: float,
    mode: str,
) -> list[ClusterReport]:
    """Ingest files chunk-parallel on the cluster at ``address``; ``mode``: bar, json or quiet."""
    from avas.ingest import is_live_uri

    if chunk_minutes <= 0:
        raise InputError(f"--chunk-minutes must be positive, got {chunk_minutes}")
    live = [s for s in sources if is_live_uri(s)]
    if live:
        raise InputError(f"--ray ingests files; watch {live[0]} with `avas monitor --ray`")
    if name is not None and len(sources) > 1:
        raise InputError("--name names one video: leave it out when ingesting several")

    def emit(p: ClusterProgress) -> None:
        if mode == "json":
            print(json.dumps({"type": "progress", **p.model_dump()}), flush=True)
        elif mode == "bar":
            sys.stderr.write(
                f"\r[{p.stage}] {p.video_id}: chunk {p.chunks_done}/{p.chunks_total}, "
                f"{p.x_realtime:.1f}x real time on {p.workers} workers ({p.nodes} nodes)   "
            )
            sys.stderr.flush()

    with connected(address):
        reports = ingest_on_ray(
            service,
            [Path(s) for s in sources],
            names=[name] if name else None,
            chunk_ms=round(chunk_minutes * 60_000),
            progress=emit,
        )
    if mode == "bar":
        sys.stderr.write("\n")
    for report in reports:
        if mode == "json":
            line = {"type": "report", **report.model_dump(mode="json")}
            print(json.dumps(line | {"x_realtime": round(report.x_realtime, 2)}), flush=True)
        else:
            print(describe(report), flush=True)
    failed = [r for r in reports if r.error]
    if failed:
        code = max(_exit_code(r.error or "") for r in failed)
        raise VideoFailed(f"{len(failed)} of {len(reports)} videos failed", code)
    return reports


def describe(report: ClusterReport) -> str:
    if report.error:
        return f"failed {report.path}: {report.error}"
    done = f"{report.media_ms / 1000:.0f} s of video in {report.seconds:.1f} s"
    resumed = f", resumed at {fmt_ms(report.resumed_from_ms)}" if report.resumed_from_ms else ""
    return (
        f"ingested {report.video_id}: {report.events} events ({report.events_skipped} already "
        f"stored), {done} ({report.x_realtime:.1f}x real time), {report.chunks} chunks on "
        f"{report.workers_used} workers / {report.nodes_used} nodes, {report.bridges} seams "
        f"segmented again{resumed}"
    )


def _exit_code(error: str) -> int:
    """The exit code of the AvasError class a report's error names (1 for anything else)."""
    import avas.errors as errors

    kind = getattr(errors, error.split(":", 1)[0], None)
    if isinstance(kind, type) and issubclass(kind, AvasError):
        return int(getattr(kind, "exit_code", 1))
    return 1


def monitor_command(
    service: Service,
    sources: list[str],
    *,
    address: str,
    rule_texts: list[str],
    rules_file: Path | None,
    webhook: str | None,
    alerts_file: Path | None,
    names: list[str] | None,
    settings: MonitorSettings,
) -> list[StreamStatus]:
    """``avas monitor ... --ray``: the same rules and sinks as ``avas monitor``, one actor per
    stream on the cluster."""
    from avas.monitor.inputs import command_inputs

    from .monitor import monitor_on_ray

    rules, sinks = command_inputs(
        sources,
        rule_texts=rule_texts,
        rules_file=rules_file,
        webhook=webhook,
        alerts_file=alerts_file,
        settings=settings,
    )
    with connected(address):
        return monitor_on_ray(service, sources, rules, sinks, names=names, settings=settings)

"""`avas graph ...`: stats, export/import, entity merges, retention (prune)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from avas.errors import InputError
from avas.interfaces.checks import require_video
from avas.interfaces.cli.app import (
    _service,
    graph_app,
    out,
)
from graph_schema import fmt_ms

if TYPE_CHECKING:
    pass


@graph_app.command("stats")
def graph_stats(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Counts of videos, nodes by kind, edges by type, and events per observer."""
    service = _service()
    try:
        stats = service.store.stats()
    finally:
        service.close()
    if as_json:
        print(stats.model_dump_json(indent=2))
        return
    table = Table("what", "count")
    table.add_row("videos", str(stats.videos))
    for kind, n in stats.nodes.items():
        table.add_row(f"nodes: {kind}", str(n))
    for etype, n in stats.edges.items():
        table.add_row(f"edges: {etype}", str(n))
    for model, n in stats.observers.items():
        table.add_row(f"events observed by {model}", str(n))
    out.print(table)


@graph_app.command("export")
def graph_export(
    out_path: Annotated[Path, typer.Argument(help="file to write")],
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (re-importable) or graphml")
    ] = "jsonl",
) -> None:
    """Export the whole graph: JSON Lines (for `avas graph import`) or GraphML (graph tools)."""
    from avas.knowledge.transfer import export_graphml, export_jsonl

    if fmt not in ("jsonl", "graphml"):
        raise InputError(f"unknown export format {fmt!r}: use jsonl or graphml")
    service = _service()
    try:
        if fmt == "jsonl":
            n = export_jsonl(service.store, out_path)
            out.print(f"exported {n} events to {out_path}")
        else:
            n = export_graphml(service.store, out_path)
            out.print(f"exported {n} nodes to {out_path}")
    finally:
        service.close()


@graph_app.command("import")
def graph_import(
    in_path: Annotated[Path, typer.Argument(help="a JSON Lines export")],
) -> None:
    """Import a JSON Lines export (vectors are recomputed with this store's embedder)."""
    from avas.knowledge.transfer import import_jsonl

    service = _service()
    try:
        n = import_jsonl(
            service.store,
            service.embedder,
            in_path,
            segment_ms=service.settings.segment.summary_segment_ms,
        )
    finally:
        service.close()
    out.print(f"imported {n} events from {in_path}")


@graph_app.command("merges")
def graph_merges(
    video: Annotated[
        str | None, typer.Option("--video", help="only merges made ingesting this video")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Entities linked to another by a similar name: the alias, its canonical entity, the score
    and the event that linked them. `avas graph unmerge ALIAS_ID` undoes one."""
    service = _service()
    try:
        found = service.store.merges(video_id=video)
        names = {}
        for m in found:
            for node_id in (m.alias_id, m.canonical_id):
                entity = service.store.entity(node_id)
                names[node_id] = entity.name if entity is not None else ""
    finally:
        service.close()
    if as_json:
        rows = [
            m.model_dump(mode="json")
            | {"alias_name": names[m.alias_id], "canonical_name": names[m.canonical_id]}
            for m in found
        ]
        print(json.dumps(rows))
        return
    if not found:
        out.print("no merges")
        return
    table = Table("alias", "alias name", "canonical name", "score", "event", "model")
    for m in found:
        table.add_row(
            m.alias_id,
            names[m.alias_id],
            names[m.canonical_id],
            f"{m.score:.3f}",
            m.event_id,
            m.model,
        )
    out.print(table)


@graph_app.command("unmerge")
def graph_unmerge(
    alias_id: Annotated[str, typer.Argument(help="the alias's entity id (`avas graph merges`)")],
) -> None:
    """Undo a merge: the alias is a separate entity again, with its own events."""
    service = _service()
    try:
        merge = service.store.unmerge_entity(alias_id)
    finally:
        service.close()
    out.print(f"unmerged {merge.alias_id} from {merge.canonical_id}", highlight=False)


@graph_app.command("prune")
def graph_prune(
    keep: Annotated[
        str, typer.Option("--keep", help="detail kept behind each video's newest event: 6h, 90m")
    ],
    video: Annotated[str | None, typer.Option("--video", help="one video; default: all")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON report per video")] = False,
) -> None:
    """Roll events older than --keep into segment summaries and delete their details."""
    from avas.knowledge.retention import parse_duration_ms, prune_video
    from avas.knowledge.summaries import make_summariser

    keep_ms = parse_duration_ms(keep)
    service = _service()
    try:
        summariser = make_summariser(service.settings.summary)
        if video is not None:
            require_video(service.store, video)
        ids = [video] if video is not None else [v.id for v in service.store.videos()]
        segment_ms = service.settings.segment.summary_segment_ms
        for video_id in ids:
            report = prune_video(
                service.store,
                service.embedder,
                video_id,
                keep_ms=keep_ms,
                segment_ms=segment_ms,
                summariser=summariser,
            )
            if as_json:
                print(report.model_dump_json())
            else:
                out.print(
                    f"{video_id}: {report.events_deleted} events before "
                    f"{fmt_ms(report.before_ms)} rolled into summaries "
                    f"({report.segments_summarised} segment summaries written)"
                )
    finally:
        service.close()

"""Export a real ingested graph and import it into an empty store: same events, same answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from avas.config import Settings
from avas.errors import InputError
from avas.graph.networkx_store import NetworkxEventStore
from avas.graph.transfer import export_graphml, export_jsonl, import_jsonl
from avas.pipeline import IngestReport
from avas.service import Service


def test_jsonl_round_trip(service: Service, ingested: IngestReport, tmp_path: Path) -> None:
    dump = tmp_path / "graph.jsonl"
    assert export_jsonl(service.store, dump) == ingested.events
    other = NetworkxEventStore(tmp_path / "other.sqlite")
    try:
        assert import_jsonl(other, service.embedder, dump) == ingested.events
        assert other.stats() == service.store.stats()
        assert [e.id for e in other.events("short")] == [
            e.id for e in service.store.events("short")
        ]
        hits = other.keyword_search("harbor", k=3, video_id="short")
        assert hits and "HARBOR" in hits[0].text.upper()
    finally:
        other.close()


def test_graphml_is_valid_xml(service: Service, ingested: IngestReport, tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    nodes = export_graphml(service.store, path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("graphml") and nodes > ingested.events


def test_bad_import_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"video": {"id": "x"}}\n')
    service = Service(Settings(home=tmp_path / "home"))
    try:
        with pytest.raises(InputError, match=r"bad\.jsonl:1"):
            import_jsonl(service.store, service.embedder, bad)
        assert service.store.videos() == []
    finally:
        service.close()

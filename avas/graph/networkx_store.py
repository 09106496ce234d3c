"""The embedded store: SQLite (WAL) is the durable record, networkx the in-memory graph.

    store = NetworkxEventStore(Path("~/.local/share/avas/store.sqlite"))
    store.commit_event(record); store.events_in_span("talk", TimeSpan(start_ms=0, end_ms=60_000))

Why this split: SQLite gives crash-safe atomic commits (an event and all its results land
together or not at all) and an FTS5 keyword index; networkx gives cheap traversal; vectors live
in one contiguous float32 matrix with int8 blocks for exact search (vector_matrix).

The class is put together from one module per concern, all over one shared state:
networkx_rows (SQLite row mapping), networkx_core (connection, transactions, in-memory mirror),
networkx_sync (other processes' commits), networkx_writes, networkx_reads, networkx_entities
(lookups and merges) and networkx_search (vectors, keyframes, keywords).
"""

from __future__ import annotations

from avas.graph.networkx_core import CHANGES_KEPT, FULL_RELOAD_IDS, SYNC_INTERVAL_MS
from avas.graph.networkx_entities import StoreEntities
from avas.graph.networkx_reads import StoreReads
from avas.graph.networkx_search import StoreSearch
from avas.graph.networkx_writes import StoreWrites

__all__ = ["CHANGES_KEPT", "FULL_RELOAD_IDS", "SYNC_INTERVAL_MS", "NetworkxEventStore"]


class NetworkxEventStore(StoreWrites, StoreReads, StoreEntities, StoreSearch):
    """The EventGraphStore over one SQLite file (see the module docstring)."""

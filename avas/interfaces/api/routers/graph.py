"""Counts of what the event knowledge graph holds."""

from __future__ import annotations

from fastapi import APIRouter

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.models import GraphStatsOut, stats_out

router = APIRouter(prefix="/graph", tags=["graph"])


@router.get("/stats")
def graph_stats(ctx: Ctx) -> GraphStatsOut:
    return stats_out(ctx.service.store.stats())

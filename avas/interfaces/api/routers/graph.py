"""Counts of what the event knowledge graph holds."""

from __future__ import annotations

from fastapi import APIRouter

from avas.interfaces.api.deps import Ctx
from graph_schema import GraphStats

router = APIRouter(prefix="/graph", tags=["graph"])


@router.get("/stats")
def graph_stats(ctx: Ctx) -> GraphStats:
    return ctx.service.store.stats()

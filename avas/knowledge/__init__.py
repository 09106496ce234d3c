"""Services over the event graph, beside the pipeline: entity linking, summaries, retention and
export/import. They use models (embedders, a summariser) and any ``EventGraphStore``; the stores
in ``avas.graph`` only store."""

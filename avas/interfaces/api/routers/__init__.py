"""One router per resource: health, videos (+ events, media), graph, ingest, ask."""

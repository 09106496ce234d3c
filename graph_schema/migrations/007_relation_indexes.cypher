// Deleting a video or old events in bounded batches (avas.graph.neo4j_writes) finds their entity
// relations by these properties: without an index every batch would scan each RELATES_TO edge.
CREATE INDEX relates_to_video_id IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.video_id);
CREATE INDEX relates_to_event_id IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.event_id);

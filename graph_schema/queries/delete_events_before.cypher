// Retention: a video's events that end by $before_ms go, with their speech and text nodes and the
// relations their captions added; summaries (:Summary, not reached here) stay.
MATCH (e:Event {video_id: $video_id})
WHERE e.end_ms <= $before_ms
OPTIONAL MATCH (e)-[:HAS_SPEECH|SHOWS_TEXT]->(c)
DETACH DELETE c
WITH DISTINCT e
OPTIONAL MATCH (:Entity)-[rel:RELATES_TO {event_id: e.id}]->(:Entity)
DELETE rel
WITH DISTINCT e, e.id AS id
DETACH DELETE e
RETURN count(id) AS deleted

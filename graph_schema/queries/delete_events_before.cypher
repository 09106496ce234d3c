// Retention, one batch (see delete_video_relations): a video's events that end by $before_ms go,
// with their speech and text nodes, keyframes and the relations their captions added; summaries
// (:Summary, not reached here) stay.
MATCH (e:Event {video_id: $video_id})
WHERE e.end_ms <= $before_ms
WITH e LIMIT $batch
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_SPEECH|SHOWS_TEXT]->(c)
  DETACH DELETE c
}
CALL (e) {
  OPTIONAL MATCH (:Entity)-[rel:RELATES_TO {event_id: e.id}]->(:Entity)
  DELETE rel
}
CALL (e) {
  OPTIONAL MATCH (k:Keyframe {event_id: e.id})
  DETACH DELETE k
}
WITH e, e.id AS id
DETACH DELETE e
RETURN count(id) AS deleted

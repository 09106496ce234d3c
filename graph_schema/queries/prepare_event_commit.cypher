// Before an event is (re-)committed, in one round trip: whether its video exists, the entities
// the event involves now, then its old children, edges (NEXT stays: it links neighbours this
// commit does not rewrite) and keyframes removed. A missing video rolls the transaction back.
// Scoped subqueries, CALL (e) { ... }, need Neo4j 5.23+ (docker-compose runs 5.26).
OPTIONAL MATCH (v:Video {id: $video_id})
OPTIONAL MATCH (e:Event {id: $event_id})
CALL (e) {
  OPTIONAL MATCH (e)-[:INVOLVES]->(n:Entity)
  RETURN collect(n.id) AS old_entities
}
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_SPEECH|SHOWS_TEXT]->(c)
  WHERE NOT c.id IN $keep_ids
  DETACH DELETE c
  RETURN count(c) AS stale
}
CALL (e) {
  OPTIONAL MATCH (e)-[r]->()
  WHERE type(r) <> 'NEXT'
  DELETE r
  RETURN count(r) AS edges
}
CALL () {
  OPTIONAL MATCH (k:Keyframe {event_id: $event_id})
  DETACH DELETE k
  RETURN count(k) AS keyframes
}
RETURN v IS NOT NULL AS video_found, old_entities

// One event's commit in one statement (one Bolt round trip): whether its video exists, the
// entities the event involved before, its old children, edges (NEXT stays: it links neighbours
// this commit does not rewrite) and keyframes removed, then every node kind and edge type of the
// record merged from lists of maps. A missing video rolls the transaction back (the caller checks
// video_found); an edge row whose ends are missing is absent from its `merged` list, so the
// caller names it and rolls back too. Scoped subqueries, CALL (e) { ... }, need Neo4j 5.23+.
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
  RETURN count(k) AS old_keyframes
}
CALL () {
  UNWIND $keyframes AS row
  MERGE (k:Keyframe {id: row.id})
  SET k.event_id = row.event_id, k.video_id = row.video_id, k.ts_ms = row.ts_ms,
      k.model = row.model, k.embedding = row.embedding
}
CALL () {
  UNWIND $events AS row
  MERGE (n:Event {id: row.id})
  SET n:Searchable, n += row.props, n.embedding = coalesce(row.embedding, n.embedding)
}
CALL () {
  UNWIND $speech AS row
  MERGE (n:SpeechSegment {id: row.id})
  SET n:Searchable, n += row.props, n.embedding = coalesce(row.embedding, n.embedding)
}
CALL () {
  UNWIND $texts AS row
  MERGE (n:OnScreenText {id: row.id})
  SET n:Searchable, n += row.props, n.embedding = coalesce(row.embedding, n.embedding)
}
// An entity's embedding is its name's vector (linking candidates); a row without one keeps it.
CALL () {
  UNWIND $entities AS row
  MERGE (n:Entity {id: row.id})
  SET n += row.props, n.embedding = coalesce(row.embedding, n.embedding)
}
// Relationship types cannot be parameters: one subquery per type.
CALL () {
  UNWIND $has_event AS row
  MATCH (a:Video {id: row.src})
  MATCH (b:Event {id: row.dst})
  MERGE (a)-[r:HAS_EVENT]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS has_event
}
CALL () {
  UNWIND $next AS row
  MATCH (a:Event {id: row.src})
  MATCH (b:Event {id: row.dst})
  MERGE (a)-[r:NEXT]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS next
}
CALL () {
  UNWIND $has_speech AS row
  MATCH (a:Event {id: row.src})
  MATCH (b:SpeechSegment {id: row.dst})
  MERGE (a)-[r:HAS_SPEECH]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS has_speech
}
CALL () {
  UNWIND $shows_text AS row
  MATCH (a:Event {id: row.src})
  MATCH (b:OnScreenText {id: row.dst})
  MERGE (a)-[r:SHOWS_TEXT]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS shows_text
}
CALL () {
  UNWIND $involves AS row
  MATCH (a:Event {id: row.src})
  MATCH (b:Entity {id: row.dst})
  MERGE (a)-[r:INVOLVES]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS involves
}
// One relation per (subject, predicate, object, event): the same pair can relate differently
// in different events.
CALL () {
  UNWIND $relates_to AS row
  MATCH (a:Entity {id: row.src})
  MATCH (b:Entity {id: row.dst})
  MERGE (a)-[r:RELATES_TO {predicate: row.props.predicate, event_id: row.props.event_id}]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS relates_to
}
CALL () {
  UNWIND $part_of AS row
  MATCH (a:Searchable {id: row.src})
  MATCH (b:Summary {id: row.dst})
  MERGE (a)-[r:PART_OF]->(b)
  SET r = row.props
  RETURN collect([row.src, row.dst]) AS part_of
}
RETURN v IS NOT NULL AS video_found, old_entities,
  {has_event: has_event, next: next, has_speech: has_speech, shows_text: shows_text,
   involves: involves, relates_to: relates_to, part_of: part_of} AS merged

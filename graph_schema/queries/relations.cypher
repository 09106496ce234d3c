// RELATES_TO edges from or to an entity, with the event where each holds. One row with
// predicate = null when the entity exists but relates to nothing; none when it is absent.
MATCH (n:Entity {id: $id})
OPTIONAL MATCH (n)-[r:RELATES_TO]-(:Entity)
OPTIONAL MATCH (e:Event {id: r.event_id})
RETURN startNode(r).data AS subject, r.predicate AS predicate, endNode(r).data AS object,
  r.event_id AS event_id, r.video_id AS video_id, e.data AS event

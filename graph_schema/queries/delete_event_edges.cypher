// NEXT edges stay: they link to neighbours that this commit does not rewrite.
MATCH (:Event {id: $event_id})-[r]->()
WHERE type(r) <> 'NEXT'
DELETE r

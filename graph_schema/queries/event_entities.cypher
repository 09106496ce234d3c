// The entities an event involves now, before a re-commit replaces its edges.
OPTIONAL MATCH (:Event {id: $event_id})-[:INVOLVES]->(n:Entity)
RETURN collect(n.id) AS ids

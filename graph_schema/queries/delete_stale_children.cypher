// Re-committing an event replaces its children: drop those the new record no longer has.
MATCH (:Event {id: $event_id})-[:HAS_SPEECH|SHOWS_TEXT]->(c)
WHERE NOT c.id IN $keep_ids
DETACH DELETE c

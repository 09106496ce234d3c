// Re-committing an event replaces its keyframe vectors.
MATCH (k:Keyframe {event_id: $event_id})
DETACH DELETE k

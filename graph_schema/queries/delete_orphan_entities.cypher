// Entities are shared across videos: one batch of those that no event involves any more (see
// delete_video_relations).
MATCH (n:Entity)
WHERE NOT EXISTS { MATCH ()-[:INVOLVES]->(n) }
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted

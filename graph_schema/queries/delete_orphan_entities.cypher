// Entities are shared across videos: drop only those that no event involves any more.
MATCH (n:Entity)
WHERE NOT EXISTS { MATCH ()-[:INVOLVES]->(n) }
DETACH DELETE n

// Entities a re-committed event dropped: those that no event involves any more go.
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE NOT EXISTS { MATCH ()-[:INVOLVES]->(n) }
DETACH DELETE n

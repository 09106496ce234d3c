// One row with data = null when the entity exists but no event involves it; none when absent.
MATCH (n:Entity {id: $id})
OPTIONAL MATCH (e:Event)-[:INVOLVES]->(n)
RETURN e.data AS data
ORDER BY e.video_id, e.start_ms

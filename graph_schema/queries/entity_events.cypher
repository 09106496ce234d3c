// One row with data = null when the entity exists but no event involves it; none when absent.
// Aliases merged into the entity (MERGED_INTO, avas.graph.linking) count as the entity.
MATCH (n:Entity {id: $id})
OPTIONAL MATCH (alias:Entity)-[:MERGED_INTO]->(n)
WITH n, collect(alias) + [n] AS members
UNWIND members AS member
OPTIONAL MATCH (e:Event)-[:INVOLVES]->(member)
WITH DISTINCT e
RETURN e.data AS data
ORDER BY e.video_id, e.start_ms

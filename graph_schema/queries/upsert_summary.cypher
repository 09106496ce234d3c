// A summary replaces its earlier version, PART_OF edges included; parts are events or segment
// summaries (both :Searchable).
MATCH (:Video {id: $video_id})
MERGE (s:Summary {id: $id})
SET s:Searchable, s += $props, s.embedding = $embedding
WITH s
OPTIONAL MATCH ()-[old:PART_OF]->(s)
DELETE old
WITH DISTINCT s
UNWIND $parts AS part_id
MATCH (p:Searchable {id: part_id})
MERGE (p)-[:PART_OF]->(s)

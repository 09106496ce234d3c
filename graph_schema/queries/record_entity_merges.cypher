// An alias has one canonical entity: a new merge of the same alias replaces the old one.
UNWIND $rows AS row
MATCH (a:Entity {id: row.alias_id})
MATCH (c:Entity {id: row.canonical_id})
OPTIONAL MATCH (a)-[old:MERGED_INTO]->(:Entity)
DELETE old
WITH a, c, row
MERGE (a)-[r:MERGED_INTO]->(c)
SET r.data = row.data, r.video_id = row.video_id, r.score = row.score, r.event_id = row.event_id

MATCH (a:Entity)-[:MERGED_INTO]->(:Entity {id: $id})
RETURN a.id AS id
ORDER BY a.id

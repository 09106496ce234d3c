// Canonical entities of one kind nearest a name vector: aliases (merged into another) are left
// out, so a link always goes to the canonical entity.
CALL db.index.vector.queryNodes('entity_name_embedding', $candidates, $vector)
YIELD node, score
WHERE node.entity_kind = $kind AND NOT EXISTS { MATCH (node)-[:MERGED_INTO]->(:Entity) }
RETURN node.data AS data, score
ORDER BY score DESC
LIMIT $k

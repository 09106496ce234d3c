// What a merge of $alias_id into $canonical_id must not meet: a missing entity, a canonical
// that is an alias itself, an alias that others are merged into.
OPTIONAL MATCH (a:Entity {id: $alias_id})
OPTIONAL MATCH (c:Entity {id: $canonical_id})
RETURN a IS NOT NULL AS alias_found, c IS NOT NULL AS canonical_found,
  c IS NOT NULL AND EXISTS { MATCH (c)-[:MERGED_INTO]->(:Entity) } AS canonical_is_alias,
  a IS NOT NULL AND EXISTS { MATCH (:Entity)-[:MERGED_INTO]->(a) } AS alias_has_aliases

MATCH (m:Migration {id: $id})
RETURN count(m) > 0 AS applied

// An entity's embedding is its name's vector (linking candidates); a row without one keeps it.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n += row.props
SET n.embedding = coalesce(row.embedding, n.embedding)

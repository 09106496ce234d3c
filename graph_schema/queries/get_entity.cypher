MATCH (n:Entity {id: $id})
RETURN n.data AS data

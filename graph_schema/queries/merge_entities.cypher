UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n += row.props

// One relation per (subject, predicate, object, event): the same pair can relate differently
// in different events.
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:RELATES_TO {predicate: row.props.predicate, event_id: row.props.event_id}]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

UNWIND $rows AS row
MATCH (a:Event {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:INVOLVES]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

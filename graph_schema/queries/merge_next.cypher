UNWIND $rows AS row
MATCH (a:Event {id: row.src})
MATCH (b:Event {id: row.dst})
MERGE (a)-[r:NEXT]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

UNWIND $rows AS row
MATCH (a:Video {id: row.src})
MATCH (b:Event {id: row.dst})
MERGE (a)-[r:HAS_EVENT]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

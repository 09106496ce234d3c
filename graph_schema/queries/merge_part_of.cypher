UNWIND $rows AS row
MATCH (a:Searchable {id: row.src})
MATCH (b:Summary {id: row.dst})
MERGE (a)-[r:PART_OF]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

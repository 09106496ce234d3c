UNWIND $rows AS row
MATCH (a:Event {id: row.src})
MATCH (b:OnScreenText {id: row.dst})
MERGE (a)-[r:SHOWS_TEXT]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

UNWIND $rows AS row
MATCH (a:Event {id: row.src})
MATCH (b:SpeechSegment {id: row.dst})
MERGE (a)-[r:HAS_SPEECH]->(b)
SET r = row.props
RETURN collect([row.src, row.dst]) AS merged

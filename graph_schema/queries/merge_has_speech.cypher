UNWIND $rows AS row
MATCH (a:Event {id: row.src})
MATCH (b:SpeechSegment {id: row.dst})
MERGE (a)-[r:HAS_SPEECH]->(b)
SET r = row.props

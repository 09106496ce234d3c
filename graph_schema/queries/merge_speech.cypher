UNWIND $rows AS row
MERGE (n:SpeechSegment {id: row.id})
SET n:Searchable, n += row.props, n.embedding = coalesce(row.embedding, n.embedding)

// $query is a Lucene expression built from escaped user words (Neo4jEventStore._lucene_query).
CALL db.index.fulltext.queryNodes('searchable_text', $query)
YIELD node, score
WHERE node.node_kind IN $kinds AND ($video_id IS NULL OR node.video_id = $video_id)
RETURN node.node_kind AS kind, node.data AS data, score
ORDER BY score DESC
LIMIT $k

// $query is a Lucene expression of escaped user words (neo4j_store.lucene_query). Filtering by
// kind and video happens in Python, as for vector_search: the caller widens $candidates until
// enough pass or the index has no more.
CALL db.index.fulltext.queryNodes('searchable_text', $query, {limit: $candidates})
YIELD node, score
RETURN node.node_kind AS kind, node.video_id AS video_id, node.data AS data, score
ORDER BY score DESC

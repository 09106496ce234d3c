// Filtering by kind and video happens in Python, so the caller can tell an exhausted index from
// a pool that the filter thinned out and ask again with more candidates.
CALL db.index.vector.queryNodes('searchable_embedding', $candidates, $vector)
YIELD node, score
RETURN node.node_kind AS kind, node.video_id AS video_id, node.data AS data, score
ORDER BY score DESC

// $query is a Lucene expression of escaped user words (neo4j_store.lucene_query). The index
// knows nothing of kinds and videos: the best $candidates matches are filtered here and only the
// first $k that pass come back, with the pool's size, so the caller can tell an exhausted index
// (pool < $candidates) from a pool that the filter thinned out, and ask again with more.
CALL db.index.fulltext.queryNodes('searchable_text', $query, {limit: $candidates})
YIELD node, score
WITH node, score ORDER BY score DESC
WITH count(*) AS pool,
  collect(CASE WHEN node.node_kind IN $kinds AND ($video_id IS NULL OR node.video_id = $video_id)
    THEN {kind: node.node_kind, data: node.data, score: score} END) AS passed
RETURN pool, passed[..$k] AS hits

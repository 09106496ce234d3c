// As keyword_search: the approximate index knows nothing of kinds and videos, so the best
// $candidates are filtered here and the first $k that pass come back with the pool's size.
CALL db.index.vector.queryNodes('searchable_embedding', $candidates, $vector)
YIELD node, score
WITH node, score ORDER BY score DESC
WITH count(*) AS pool,
  collect(CASE WHEN node.node_kind IN $kinds AND ($video_id IS NULL OR node.video_id = $video_id)
    THEN {kind: node.node_kind, data: node.data, score: score} END) AS passed
RETURN pool, passed[..$k] AS hits

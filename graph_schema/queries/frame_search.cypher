// Filtering by video and keeping each event's best frame happen in Python, so the caller can
// tell an exhausted index from a pool that the filter thinned out and ask again with more.
CALL db.index.vector.queryNodes('keyframe_embedding', $candidates, $vector)
YIELD node, score
MATCH (e:Event {id: node.event_id})
RETURN node.event_id AS event_id, node.video_id AS video_id, e.data AS data, score
ORDER BY score DESC

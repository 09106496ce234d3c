MATCH (e:Event {id: $id})
MATCH (o:Event {video_id: e.video_id})
WHERE o.start_ms < e.start_ms OR (o.start_ms = e.start_ms AND o.id < e.id)
RETURN o.data AS data
ORDER BY o.start_ms DESC, o.id DESC
LIMIT $limit

MATCH (e:Event {video_id: $video_id})
RETURN e.data AS data
ORDER BY e.start_ms, e.id

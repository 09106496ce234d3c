// Events overlapping [$start_ms, $upper_ms): the caller passes upper = start + 1 for an instant,
// so an instant belongs to the event showing it (the one that starts there, at a boundary).
MATCH (e:Event {video_id: $video_id})
WHERE e.start_ms < $upper_ms AND e.end_ms > $start_ms
RETURN e.data AS data
ORDER BY e.start_ms, e.id

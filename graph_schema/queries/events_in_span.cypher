// The networkx store's rule: overlap with [start_ms, end_ms), or the same start (zero-length
// events), and always starting before end_ms.
MATCH (e:Event {video_id: $video_id})
WHERE e.start_ms < $end_ms AND (e.end_ms > $start_ms OR e.start_ms = $start_ms)
RETURN e.data AS data
ORDER BY e.start_ms, e.id

MATCH (s:Summary {video_id: $video_id})
WHERE $level IS NULL OR s.level = $level
RETURN s.data AS data
ORDER BY CASE s.level WHEN 'video' THEN 0 ELSE 1 END, s.start_ms

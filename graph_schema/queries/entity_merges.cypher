MATCH (:Entity)-[r:MERGED_INTO]->(:Entity)
WHERE $video_id IS NULL OR r.video_id = $video_id
RETURN r.data AS data

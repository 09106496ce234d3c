MATCH (s:Summary {video_id: $video_id})
WHERE s.id IN $ids
WITH s, s.id AS id
DETACH DELETE s
RETURN count(id) AS deleted

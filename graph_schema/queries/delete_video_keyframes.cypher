// One batch of a video's keyframes (see delete_video_relations).
MATCH (k:Keyframe {video_id: $video_id})
WITH k LIMIT $batch
DETACH DELETE k
RETURN count(*) AS deleted

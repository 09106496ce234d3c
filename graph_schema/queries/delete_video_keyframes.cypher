MATCH (k:Keyframe {video_id: $video_id})
DETACH DELETE k

// Keyframes whose event was deleted (retention drops old events of a video).
MATCH (k:Keyframe {video_id: $video_id})
WHERE NOT EXISTS { MATCH (:Event {id: k.event_id}) }
DETACH DELETE k

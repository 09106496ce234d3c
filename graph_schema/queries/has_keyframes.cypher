RETURN EXISTS {
  MATCH (k:Keyframe)
  WHERE $video_id IS NULL OR k.video_id = $video_id
} AS found

// One batch of a video's event, speech, text and summary nodes: all carry its id in video_id
// (and :Searchable), with their edges (see delete_video_relations).
MATCH (n:Searchable {video_id: $video_id})
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted

// A video's event, speech and text nodes all carry its id in video_id (and :Searchable);
// relations between shared entities carry it too.
MATCH (v:Video {id: $video_id})
OPTIONAL MATCH (:Entity)-[rel:RELATES_TO {video_id: $video_id}]->(:Entity)
DELETE rel
WITH DISTINCT v
OPTIONAL MATCH (n:Searchable {video_id: $video_id})
DETACH DELETE n
WITH DISTINCT v
DETACH DELETE v

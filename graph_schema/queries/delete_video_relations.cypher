// One batch of a video's relations between (shared) entities. Like every delete_* query with
// $batch, the caller repeats it until a batch comes back short, each batch its own transaction:
// none grows with the video (Neo4j caps a transaction's memory).
MATCH (:Entity)-[rel:RELATES_TO {video_id: $video_id}]->(:Entity)
WITH rel LIMIT $batch
DELETE rel
RETURN count(*) AS deleted

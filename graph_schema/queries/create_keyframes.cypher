// One :Keyframe per embedded frame of an event; the ids are the event id and the frame's time.
UNWIND $rows AS row
MERGE (k:Keyframe {id: row.id})
SET k.event_id = row.event_id, k.video_id = row.video_id, k.ts_ms = row.ts_ms,
    k.model = row.model, k.embedding = row.embedding

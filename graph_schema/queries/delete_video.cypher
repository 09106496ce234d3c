// The video node itself, last: once the batches took everything that hangs off it, so that a
// deletion cut short leaves the video listed and deleting it again finishes the job.
MATCH (v:Video {id: $video_id})
DETACH DELETE v

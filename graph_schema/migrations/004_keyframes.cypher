// Keyframe image embeddings (issue 10): a few :Keyframe nodes per event, each with the image
// model's vector (e.g. CLIP), in a vector index of their own: that space has its own dimension
// and its scores do not compare with the text embeddings' in :Searchable.
CREATE CONSTRAINT keyframe_id_unique IF NOT EXISTS FOR (n:Keyframe) REQUIRE n.id IS UNIQUE;
CREATE INDEX keyframe_event_id IF NOT EXISTS FOR (n:Keyframe) ON (n.event_id);
CREATE INDEX keyframe_video_id IF NOT EXISTS FOR (n:Keyframe) ON (n.video_id);
// No `vector.dimensions`: the image model is chosen per ingest, after the store's migrations ran,
// and Neo4j 5.23+ indexes vectors of any size when none is given (a query compares like sizes).
CREATE VECTOR INDEX keyframe_embedding IF NOT EXISTS
FOR (n:Keyframe) ON n.embedding
OPTIONS {indexConfig: {`vector.similarity_function`: 'cosine'}};

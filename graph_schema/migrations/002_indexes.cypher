// Search indexes. Event, SpeechSegment and OnScreenText nodes also carry the :Searchable label
// because a Neo4j 5 vector index covers one label only; `text` holds the searchable body.
CREATE FULLTEXT INDEX searchable_text IF NOT EXISTS
FOR (n:Event|SpeechSegment|OnScreenText) ON EACH [n.text];

// Index DDL cannot take query parameters in its OPTIONS on every Neo4j 5 version, so
// the vector_dimensions parameter is a placeholder: graph_schema.cypher.render_migration puts the
// text of a validated int there (it refuses a bool and any int outside 1..4096), never a string.
CREATE VECTOR INDEX searchable_embedding IF NOT EXISTS
FOR (n:Searchable) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $vector_dimensions, `vector.similarity_function`: 'cosine'}};

// Range indexes for the per-video timeline and for deleting a video's nodes.
CREATE INDEX searchable_video_id IF NOT EXISTS FOR (n:Searchable) ON (n.video_id);
CREATE INDEX event_video_start IF NOT EXISTS FOR (n:Event) ON (n.video_id, n.start_ms);

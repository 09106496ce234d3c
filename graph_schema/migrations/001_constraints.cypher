// Ids are deterministic (graph_schema.models), so a uniqueness constraint per label makes every
// MERGE idempotent and gives each id lookup an index. IF NOT EXISTS: re-running is a no-op.
CREATE CONSTRAINT video_id_unique IF NOT EXISTS FOR (n:Video) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT event_id_unique IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT speech_id_unique IF NOT EXISTS FOR (n:SpeechSegment) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT text_id_unique IF NOT EXISTS FOR (n:OnScreenText) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT entity_id_unique IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT migration_id_unique IF NOT EXISTS FOR (n:Migration) REQUIRE n.id IS UNIQUE;

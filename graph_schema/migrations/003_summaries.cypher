// Segment and video summaries (issue 5): unique ids; they also carry :Searchable (vector index).
CREATE CONSTRAINT summary_id IF NOT EXISTS FOR (n:Summary) REQUIRE n.id IS UNIQUE;

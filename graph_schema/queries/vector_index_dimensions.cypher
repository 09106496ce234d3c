// The dimension the text vector index was created with (no row before migration 002 ran).
SHOW VECTOR INDEXES YIELD name, options
WHERE name = 'searchable_embedding'
RETURN options.indexConfig['vector.dimensions'] AS dimensions

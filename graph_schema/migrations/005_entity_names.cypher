// Entity name vectors (avas.graph.linking): the nearest names of one kind are the candidates an
// observed entity may be linked to. The dimension placeholder is filled as in 002_indexes.
CREATE VECTOR INDEX entity_name_embedding IF NOT EXISTS
FOR (n:Entity) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $vector_dimensions, `vector.similarity_function`: 'cosine'}};

// A searchable node (event, speech, on-screen text) by id, in the shape search returns.
MATCH (n:Searchable {id: $node_id})
RETURN n.node_kind AS kind, n.data AS data

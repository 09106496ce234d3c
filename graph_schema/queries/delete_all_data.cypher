// Test support only (tests/contract/neo4j_factory.py): empties the graph, keeps the schema and
// the :Migration records.
MATCH (n)
WHERE NOT n:Migration
DETACH DELETE n

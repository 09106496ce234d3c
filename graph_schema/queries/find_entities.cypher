// Entities by name, scored as avas.graph.base.entity_score: the exact normalised name 2, a name
// containing the query 1.5, else the share of the query's words the name contains. $key and
// $words arrive normalised; the name is normalised here the same way (lower case, [0-9a-z] only).
MATCH (n:Entity)
WITH n, reduce(s = '', c IN split(toLower(n.name), '') |
  s + CASE WHEN c =~ '[0-9a-z]' THEN c ELSE '' END) AS name_key
WITH n, CASE
    WHEN name_key = $key THEN 2.0
    WHEN $key <> '' AND name_key CONTAINS $key THEN 1.5
    WHEN size($words) = 0 THEN 0.0
    ELSE toFloat(size([w IN $words WHERE name_key CONTAINS w])) / size($words)
  END AS score
WHERE score > 0
RETURN n.data AS data, score
ORDER BY score DESC, n.name, n.id
LIMIT $k

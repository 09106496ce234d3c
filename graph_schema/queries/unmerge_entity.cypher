MATCH (:Entity {id: $alias_id})-[r:MERGED_INTO]->(:Entity)
WITH r, r.data AS data
DELETE r
RETURN data

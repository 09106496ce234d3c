MATCH (v:Video {id: $id})
RETURN v.data AS data

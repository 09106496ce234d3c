MATCH (v:Video)
RETURN v.data AS data

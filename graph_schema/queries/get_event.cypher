MATCH (e:Event {id: $id})
RETURN e.data AS data

MATCH (e:Event {id: $id})
RETURN count(e) > 0 AS found

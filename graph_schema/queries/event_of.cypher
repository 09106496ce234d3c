// An event is its own event; any other node belongs to the event with an edge to it.
MATCH (e:Event {id: $node_id})
RETURN e.data AS data, 0 AS rank
UNION
MATCH (e:Event)-->(:SpeechSegment {id: $node_id})
RETURN e.data AS data, 1 AS rank
UNION
MATCH (e:Event)-->(:OnScreenText {id: $node_id})
RETURN e.data AS data, 1 AS rank
UNION
MATCH (e:Event)-->(:Entity {id: $node_id})
RETURN e.data AS data, 2 AS rank

MATCH (:Event {id: $id})-->(c)
WHERE c:SpeechSegment OR c:OnScreenText OR c:Entity
RETURN DISTINCT c.node_kind AS kind, c.data AS data

RETURN
  COUNT { (:Video) } AS video,
  COUNT { (:Event) } AS event,
  COUNT { (:SpeechSegment) } AS speech,
  COUNT { (:OnScreenText) } AS text,
  COUNT { (:Entity) } AS entity,
  COUNT { (:Summary) } AS summary

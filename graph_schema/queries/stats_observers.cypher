MATCH (e:Event)
UNWIND e.observers AS observer
RETURN observer, count(*) AS n

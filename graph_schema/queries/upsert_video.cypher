MERGE (v:Video {id: $id})
SET v += $props

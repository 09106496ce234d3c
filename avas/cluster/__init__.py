"""Scale-out on Ray: chunk-parallel ingest and camera streams on a cluster (``avas[cluster]``).

    avas ingest long.mp4 --ray local --chunk-minutes 10    # an in-process cluster on this machine
    avas monitor cam.mp4 --rule "a red car" --ray auto       # one actor per stream

Nothing here imports Ray at module import time: ``runtime.require_ray`` does, and says which extra
to install when it is missing.
"""

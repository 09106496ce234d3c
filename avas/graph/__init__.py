"""Event graph stores behind one protocol (``EventGraphStore``)."""

"""Retrievers over the event graph; the agent's tools are thin wrappers over these."""

"""Streaming event boundaries: frames in, event windows out."""

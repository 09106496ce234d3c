"""Observers that turn an event's frames and audio into typed, time-aligned results."""

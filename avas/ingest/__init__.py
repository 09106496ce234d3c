"""Decode video into sampled frames and audio (files via decord; probing via ffprobe)."""

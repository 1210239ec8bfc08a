"""Tracking: runs, with their params, metrics, tags, artifacts, models, datasets and captured
context."""

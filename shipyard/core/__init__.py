"""Foundations every other Shipyard package builds on.

``core`` imports nothing else of Shipyard and no framework: errors, ids, hashing, settings,
logging and the clock live here.
"""

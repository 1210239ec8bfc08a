"""Data: dataset versions, schema and profile, validation against expectations, drift.

A dataset version is the content of a table stored as Parquet under the SHA-256 of the data
itself (layout-independent), with its schema and a profile rich enough to compare later data
with it without its rows. Log and load versions through ``shipyard.tracking`` (``sy.log_dataset``,
``sy.load_dataset``), which records them as a run's inputs; everything here works without a run.
"""

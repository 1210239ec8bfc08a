"""Alembic migrations of the metadata store. One numbered revision per schema change."""

"""Persistence: the metadata store (SQLAlchemy, Alembic) and the artifact store (fsspec)."""

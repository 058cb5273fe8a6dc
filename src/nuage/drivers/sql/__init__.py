"""SQLAlchemy 2 persistence on SQLite (embedded) or PostgreSQL, migrated with Alembic."""

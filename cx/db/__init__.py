"""The database layer: sources, dialect constructs, read-only sessions."""

"""datasets pages."""

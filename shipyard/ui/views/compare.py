"""compare pages."""

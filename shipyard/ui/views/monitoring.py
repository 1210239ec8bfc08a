"""monitoring pages."""

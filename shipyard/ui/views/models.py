"""models pages."""

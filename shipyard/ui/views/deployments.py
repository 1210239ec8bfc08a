"""deployments pages."""

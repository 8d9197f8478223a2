"""cases domain (built by its own issue)."""

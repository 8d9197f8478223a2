"""insights domain (built by its own issue)."""

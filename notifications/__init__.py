"""notifications domain (built by its own issue)."""

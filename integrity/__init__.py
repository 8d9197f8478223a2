"""integrity domain (built by its own issue)."""

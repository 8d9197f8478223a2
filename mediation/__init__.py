"""mediation domain (built by its own issue)."""

"""Users, roles, enterprises (USCC), sessions and API tokens."""

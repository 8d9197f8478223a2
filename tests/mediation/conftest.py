"""The case fixtures (cast, context, a filed case) serve the mediation tests too."""

from tests.cases.conftest import context, filed_case, parties  # noqa: F401 - fixtures, found by name

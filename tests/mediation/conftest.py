"""The case fixtures (cast, context, a filed case, API clients) serve the mediation tests too."""

from tests.cases.conftest import cast, context, filed_case, parties  # noqa: F401 - fixtures, found by name

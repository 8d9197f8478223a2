"""The case fixtures (cast, context, API clients) serve the registry tests too."""

from tests.cases.conftest import cast, context, filed_case, parties  # noqa: F401 - fixtures, found by name

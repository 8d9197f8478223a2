"""The case fixtures (cast, context, API clients) serve the registry tests too; `force_listing_state` for set-up."""

from typing import Any

from integrity.tables import Listing
from tests.cases.conftest import cast, context, filed_case, parties  # noqa: F401 - fixtures, found by name


async def force_listing_state(listing_id: int, state: str, **columns: Any) -> None:
    """Test set-up only: put a listing straight into a state (the product always goes through apply())."""
    updates: dict[Any, Any] = {Listing.state: state}
    updates.update({getattr(Listing, name): value for name, value in columns.items()})
    await Listing.update(updates).where(Listing.id == listing_id)

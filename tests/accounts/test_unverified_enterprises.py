"""An enterprise only consumers have named (free text, unchecked) is not listed by name until a registrar
verifies it by its USCC: not in the public search, the filing form, the registry or its public page.
Registrars see it all; counts may be shown without the name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from accord.clock import FrozenClock
from integrity.tables import Listing
from tests.cases.conftest import filing_body
from tests.conftest import ClientFactory, SignedIn, random_uscc, unique


async def named_by_a_consumer(api_client: SignedIn) -> dict[str, Any]:
    """A case against an enterprise nobody has checked; the enterprise as its case shows it."""
    consumer, _user = await api_client("consumer")
    body = filing_body(0)
    del body["enterprise_id"]
    body["enterprise"] = {"name": f"Rumoured Trading {unique('co')} Ltd", "uscc": random_uscc()}
    filed = await consumer.post("/api/v1/cases", json=body)
    assert filed.status_code == 201, filed.text
    enterprise = filed.json()["enterprise"]
    assert enterprise["verified"] is False and enterprise["name"] == body["enterprise"]["name"]
    return enterprise


async def found(client: httpx.AsyncClient, query: str) -> list[int]:
    response = await client.get("/api/v1/enterprises", params={"q": query})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_only_registrars_find_an_unverified_enterprise_by_name_or_uscc(
    api_client: SignedIn, new_client: ClientFactory, clock: FrozenClock
) -> None:
    enterprise = await named_by_a_consumer(api_client)
    lookers = [new_client()] + [(await api_client(role))[0] for role in ("consumer", "merchant", "mediator")]
    for client in lookers:
        for query in (enterprise["name"], enterprise["name"].split()[1], enterprise["uscc"]):
            assert enterprise["id"] not in await found(client, query)
    registrar, _admin = await api_client("admin")
    assert enterprise["id"] in await found(registrar, enterprise["name"])
    assert enterprise["id"] in await found(registrar, enterprise["uscc"])

    verified = await registrar.post(f"/api/v1/admin/enterprises/{enterprise['id']}/verify", json={"verified": True})
    assert verified.json()["verified"] is True
    for client in lookers:
        assert enterprise["id"] in await found(client, enterprise["uscc"])


async def test_the_filing_form_neither_lists_nor_takes_an_unverified_enterprise(
    api_client: SignedIn, signed_in: SignedIn
) -> None:
    enterprise = await named_by_a_consumer(api_client)
    browser, _consumer = await signed_in("consumer")
    offered = f'name="enterprise_id" value="{enterprise["id"]}"'
    for query in (enterprise["name"], enterprise["uscc"]):
        search = await browser.get("/cases/new", params={"q": query})
        assert search.status_code == 200 and offered not in search.text
        assert "No registered merchant matches" in search.text
    consumer, _user = await api_client("consumer")
    by_id = await consumer.post("/api/v1/cases", json=filing_body(enterprise["id"]))
    assert by_id.status_code == 422 and by_id.json()["errors"][0]["field"] == "enterprise_id"
    token = browser.cookies["accord_csrf"]
    form = {"_csrf_token": token, "enterprise_id": str(enterprise["id"]), "q": "", "category": "defective"}
    page = await browser.post("/cases/new", files={"evidence": ("", b"", "application/octet-stream")}, data=form)
    assert page.status_code == 422 and enterprise["name"] not in page.text


async def test_an_unverified_enterprise_page_shows_counts_without_the_name(
    api_client: SignedIn, new_client: ClientFactory, signed_in: SignedIn
) -> None:
    enterprise = await named_by_a_consumer(api_client)
    path = f"/enterprises/{enterprise['id']}"
    stranger, _consumer = await signed_in("consumer")
    for client in (new_client(), stranger):
        public = await client.get(path)
        assert public.status_code == 200
        assert enterprise["name"] not in public.text and enterprise["uscc"] not in public.text
        assert "Enterprise not yet verified" in public.text and "<dd>1</dd>" in public.text
    registrar, _admin = await signed_in("admin")
    assert enterprise["name"] in (await registrar.get(path)).text


async def test_the_registry_publishes_and_finds_verified_enterprises_only(
    api_client: SignedIn, new_client: ClientFactory, clock: FrozenClock
) -> None:
    enterprise = await named_by_a_consumer(api_client)
    registrar, _admin = await api_client("admin")
    proposed = await registrar.post(
        "/api/v1/registry/listings",
        json={"enterprise_id": enterprise["id"], "violation": "counterfeit", "facts": "Fake goods, three cases."},
    )
    assert proposed.status_code == 201, proposed.text
    listing = proposed.json()

    async def act(action: str, **payload: Any) -> httpx.Response:
        version = (await Listing.select(Listing.version).where(Listing.id == listing["id"]).first())["version"]
        return await registrar.post(
            f"/api/v1/registry/listings/{listing['id']}/actions/{action}", json={"version": version, **payload}
        )

    assert (await act("notice")).status_code == 200
    clock.advance(timedelta(days=30))
    refused = await act("publish", decision="Counterfeits confirmed.")
    assert refused.status_code == 409 and "USCC" in refused.json()["detail"]
    anonymous = new_client()
    assert (await anonymous.get(f"/api/v1/registry/listings/{listing['id']}")).status_code == 404

    await registrar.post(f"/api/v1/admin/enterprises/{enterprise['id']}/verify", json={"verified": True})
    assert (await act("publish", decision="Counterfeits confirmed.")).status_code == 200
    search = await anonymous.get("/api/v1/registry", params={"q": enterprise["uscc"]})
    assert [item["id"] for item in search.json()["items"]] == [listing["id"]]

    # Verification withdrawn: the name leaves the public search again.
    await registrar.post(f"/api/v1/admin/enterprises/{enterprise['id']}/verify", json={"verified": False})
    assert (await anonymous.get("/api/v1/registry", params={"q": enterprise["uscc"]})).json()["items"] == []
    assert enterprise["name"] not in (await anonymous.get("/registry", params={"q": enterprise["uscc"]})).text

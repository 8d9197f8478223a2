"""Issue 14's scale acceptance: the list pages, the inbox, filing and `respond` at 1k and at 100k cases.

    .venv/bin/python bench/scale.py [--cases 100000] [--requests 40] [--postgres URL]

Builds a fresh database with the demo data, bulk-seeds 1,000 cases (`accord seed-demo --cases` does the same),
signs the demo people in through the sign-in page, and times in process (p50 and p95 of `--requests` each):
the mediator's queue, the cases lists of a merchant, a consumer and the registrar, the merchant's inbox, the
filing form, filing through it (a 302) and the merchant's `respond` through the case page's form (a 302).
Then it seeds up to `--cases` and times them again, and prints the ratio of the p50s (goal ≤ 1.5×). The demo
merchant and consumer hold about a third of the bulk cases each, so their lists are the long ones.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from in_process import DEMO_PASSWORD, Seeder, command, demo_app, percentiles, print_table

FILING = {
    "category": "defective",
    "platform": "Tmall Global",
    "purchase_date": "2026-10-01",
    "product_name": "Wireless earbuds",
    "desired_remedy": "refund",
    "description": "The left earbud does not charge. Photos of the charging case attached.",
    "language": "en",
}
_orders = itertools.count(1)


async def signed_in(transport: Any, email: str) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(transport=transport, base_url="http://bench.local")
    await browser.get("/login")
    form = {"email": email, "password": DEMO_PASSWORD, "next": "/", "_csrf_token": browser.cookies["accord_csrf"]}
    answer = await browser.post("/login", data=form)
    assert answer.status_code == 302, answer.text[:300]
    return browser


async def page(browser: httpx.AsyncClient, path: str) -> None:
    answer = await browser.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])


async def timings(people: dict[str, httpx.AsyncClient], enterprise: int, requests: int) -> dict[str, Any]:
    consumer, merchant = people["consumer"], people["merchant"]
    found = {}
    lists = (
        ("GET /queue (mediator)", "mediator", "/queue"),
        ("GET /cases (merchant)", "merchant", "/cases"),
        ("GET /cases (consumer)", "consumer", "/cases"),
        ("GET /cases (registrar)", "admin", "/cases"),
        ("GET /inbox (merchant)", "merchant", "/inbox"),
        ("GET /cases/new (filing form)", "consumer", "/cases/new"),
    )
    for name, who, path in lists:
        await page(people[who], path)  # warm up
        found[name] = await percentiles(lambda who=who, path=path: page(people[who], path), requests)
    filed: list[str] = []

    async def file() -> None:
        form = {**FILING, "enterprise_id": str(enterprise), "order_number": f"SCALE-{next(_orders)}"}
        answer = await consumer.post("/cases/new", data={**form, "_csrf_token": consumer.cookies["accord_csrf"]})
        assert answer.status_code == 302, answer.text[:300]
        filed.append(answer.headers["location"].split("/")[2].split("?")[0])

    async def respond() -> None:
        reference = filed.pop()
        answer = {"version": "1", "kind": "reject", "text": "We cannot accept this.", "_csrf_token": ""}
        answer["_csrf_token"] = merchant.cookies["accord_csrf"]
        posted = await merchant.post(f"/cases/{reference}/actions/respond", data=answer)
        assert posted.status_code == 302, posted.text[:300]

    found["POST /cases/new (filing)"] = await percentiles(file, requests)
    found["POST respond (merchant)"] = await percentiles(respond, requests)
    return found


async def main(cases: int, requests: int) -> None:
    async with demo_app() as transport:
        people = {
            role: await signed_in(transport, f"{role}@demo.test") for role in ("consumer", "merchant", "mediator", "admin")
        }
        me = await people["merchant"].get("/api/v1/me")
        enterprise = me.json()["enterprise"]["id"]
        seeder, results = Seeder(), {}
        for size in (1000, cases):
            await seeder.up_to(size)
            results[size] = await timings(people, enterprise, requests)
        print_table(list(results[1000]), 1000, cases, results)
        for browser in people.values():
            await browser.aclose()


if __name__ == "__main__":
    command(main)
